import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Where a coordinated test's participants may run: the `<…,placement=…>` selector key.
///
/// - `shared` (default): no pinning; the scheduler puts every participant on any CPU.
/// - `split`: the test's FIRST role (perf9: `server`) is pinned to the first half of the CPUs this
///   process may use, every other role (perf9: `client-host`) to the second half, so client load and
///   server load do not compete for the same core. Needs `parallel=thread` (each participant's own
///   thread pins itself; the event-loop thread it then creates inherits the mask) or
///   `parallel=process` (the participant process pins all its threads at start). Task mode shares
///   one thread pool between participants and cannot pin them apart: a usage error.
public enum CPUPlacement: String, Sendable, CaseIterable {
    case shared, split

    /// The CPUs a role runs on under this placement, nil when unpinned.
    func cpus(roleIndex: Int, available: [Int]) -> [Int]? {
        guard self == .split, available.count >= 2 else { return nil }
        let half = available.count / 2
        return roleIndex == 0 ? Array(available[..<half]) : Array(available[half...])
    }
}

/// A failed affinity call (the participant fails with it).
public struct AffinityError: Error, CustomStringConvertible {
    public let description: String
}

/// sched_setaffinity / sched_getaffinity on Linux (cpu_set_t handled as a bit array, since the
/// CPU_SET macros do not import into Swift). Glibc declares both only under _GNU_SOURCE, which the
/// Swift Glibc module does not set, so they are looked up once with dlsym.
public enum CPUAffinity {
    typealias AffinityCall = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
    static let setCall: AffinityCall? = lookup("sched_setaffinity")
    static let getCall: AffinityCall? = lookup("sched_getaffinity")

    static func lookup(_ name: String) -> AffinityCall? {
        #if os(Linux)
            guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }  // RTLD_DEFAULT
            return unsafeBitCast(sym, to: AffinityCall.self)
        #else
            return nil
        #endif
    }

    /// The CPUs the calling thread may run on, ascending (nil where unsupported).
    public static func current() -> [Int]? {
        #if os(Linux)
            var set = cpu_set_t()
            guard let call = getCall, call(0, MemoryLayout<cpu_set_t>.size, &set) == 0 else { return nil }
            return withUnsafeBytes(of: &set) { raw in
                (0..<(raw.count * 8)).filter { raw[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
            }
        #else
            return nil
        #endif
    }

    /// Pins one thread (`tid` 0: the calling thread) to `cpus`.
    public static func pin(thread tid: Int32 = 0, to cpus: [Int]) throws(AffinityError) {
        #if os(Linux)
            var set = cpu_set_t()
            let ok = withUnsafeMutableBytes(of: &set) { raw -> Bool in
                for c in cpus {
                    guard c >= 0, c < raw.count * 8 else { return false }
                    raw[c / 8] |= 1 << UInt8(c % 8)
                }
                return true
            }
            guard ok, !cpus.isEmpty else { throw AffinityError(description: "CPU list \(cpus) is out of range") }
            guard let call = setCall else { throw AffinityError(description: "sched_setaffinity is not available") }
            guard call(tid, MemoryLayout<cpu_set_t>.size, &set) == 0 else {
                throw AffinityError(description: "sched_setaffinity(\(tid), \(cpus)) failed: \(String(cString: strerror(errno)))")
            }
        #else
            throw AffinityError(description: "CPU pinning is only implemented on Linux")
        #endif
    }

    /// Pins every thread of this process (threads started later inherit the mask of their creator).
    package static func pinProcess(to cpus: [Int]) throws(AffinityError) {
        let tids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task"))?.compactMap { Int32($0) } ?? []
        if tids.isEmpty { try pin(to: cpus) }
        for t in tids { try pin(thread: t, to: cpus) }
    }
}

extension CoordinatedSpec.Resolved {
    /// The CPUs `role` is pinned to in this case (nil: not pinned).
    public func cpus(for role: String) -> [Int]? {
        guard let ri = roles.firstIndex(where: { $0.role.name == role }) else { return nil }
        return placement.cpus(roleIndex: ri, available: availableCPUs)
    }
}
