import Assay

AssayMain.main(suites: FixtureSuites.all)
