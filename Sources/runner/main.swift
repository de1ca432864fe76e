// The runner: Assay's CLI with the project's suites linked in.
import Assay
import Foundation
import JSec
import Suites

// Opt-in (benchmarks): run Swift tasks on JSec's event loops (JSecRuntime.runTasksOnEventLoops).
if ProcessInfo.processInfo.environment["JSEC_TASKS_ON_EVENT_LOOPS"] == "1" {
    JSecRuntime.runTasksOnEventLoops()
}
AssayMain.main(suites: Registry.suites)
