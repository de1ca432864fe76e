import Foundation

/// Files a worker leaves behind when it is killed or crashes mid-case: the
/// coordinator's socket directory (`/tmp/assay-c<pid>-…`) and case scratch
/// directories (`<tmp>/assay-<pid>-<random>`). The supervisor removes them
/// once the worker has exited (a worker that exits normally has already).
enum WorkerLeftovers {
    static func remove(workerPID pid: pid_t) {
        let fm = FileManager.default
        for (dir, prefix) in [("/tmp", "assay-c\(pid)-"), (NSTemporaryDirectory(), "assay-\(pid)-")] {
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
            for name in names where name.hasPrefix(prefix) && name.dropFirst(prefix.count).allSatisfy(\.isNumber) {
                try? fm.removeItem(atPath: (dir as NSString).appendingPathComponent(name))
            }
        }
    }
}
