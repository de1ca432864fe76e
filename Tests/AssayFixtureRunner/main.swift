import Assay
import Foundation

// The fixture's named matrices live beside this file.
setenv("ASSAY_MATRICES_DIR", URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Matrices").path, 0)
AssayMain.main(suites: FixtureSuites.all)
