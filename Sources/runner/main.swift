// The runner: Assay's CLI with the project's suites linked in, and remote participants over TLS.
import Assay
import AssayRemoteTLS
import Foundation
import JSec
import Suites

// Opt-in (benchmarks): run Swift tasks on JSec's event loops (JSecRuntime.runTasksOnEventLoops).
let tasksOnEventLoops = ProcessInfo.processInfo.environment["JSEC_TASKS_ON_EVENT_LOOPS"] == "1"
if tasksOnEventLoops {
    JSecRuntime.runTasksOnEventLoops()
}
#if DEBUG
    let buildConfiguration = "debug"
#else
    let buildConfiguration = "release"
#endif
// Recorded in the results file's run.extra (docs/results-schema.md); analyzer --compare warns when they differ.
AssayMain.main(
    suites: Registry.suites, remoteTransport: TLSRemoteTransport(),
    metadata: {
        ["buildConfiguration": buildConfiguration, "tasksOnEventLoops": tasksOnEventLoops ? "yes" : "no"]
    })
