// The runner: Assay's CLI with the project's suites linked in.
import Assay
import Suites

AssayMain.main(suites: Registry.suites)
