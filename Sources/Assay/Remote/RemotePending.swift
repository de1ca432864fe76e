/// The remote coordinator's connections that have not authenticated yet (docs/distributed.md,
/// "Bounds against an unauthenticated peer"): at most `limit` in all and `perSource` from one source
/// address. A new connection is always taken in; to make room the oldest connection *of its source*
/// is closed when that source is at `perSource`, else, when all `limit` places are taken, the oldest
/// connection of a source holding the most. A participant's connection, alone from its source, is
/// therefore closed only when at least `perSource` newer connections come from its own address, or
/// when every source holds one connection and it is the oldest — a connection that finishes its
/// handshake (milliseconds) leaves the pool at once and cannot be pushed out later.
/// A value type used under the gate's lock.
struct RemotePending {
    /// Why a pending connection was closed to make room.
    enum Eviction: Equatable {
        /// Its source had `perSource` pending connections when another came from it.
        case perSource(Int)
        /// All `limit` places were taken when another connection came.
        case full(Int)

        var reason: String {
            switch self {
            case .perSource(let n): return "closed to make room: \(n) unauthenticated connections from its address were pending"
            case .full(let n): return "closed to make room: \(n) unauthenticated connections were pending (all places taken)"
            }
        }
    }

    struct Entry: Equatable {
        let id: Int
        let source: String
    }

    let limit: Int
    let perSource: Int
    /// Oldest first.
    private(set) var entries: [Entry] = []
    private var nextID = 0

    init(limit: Int, perSource: Int) {
        self.limit = max(1, limit)
        self.perSource = max(1, min(perSource, limit))
    }

    var count: Int { entries.count }
    func count(from source: String) -> Int { entries.reduce(0) { $1.source == source ? $0 + 1 : $0 } }

    /// Takes in a connection from `source`: its id, and the connection closed to make room (if any).
    mutating func add(_ source: String) -> (id: Int, evicted: (Entry, Eviction)?) {
        var evicted: (Entry, Eviction)?
        if count(from: source) >= perSource, let i = entries.firstIndex(where: { $0.source == source }) {
            evicted = (entries.remove(at: i), .perSource(perSource))
        } else if entries.count >= limit {
            var held: [String: Int] = [:]
            for e in entries { held[e.source, default: 0] += 1 }
            let most = held.values.max() ?? 0
            if let i = entries.firstIndex(where: { held[$0.source] == most }) {
                evicted = (entries.remove(at: i), .full(limit))
            }
        }
        nextID += 1
        entries.append(Entry(id: nextID, source: source))
        return (nextID, evicted)
    }

    /// The connection authenticated, was refused or closed: false when it had been evicted already.
    @discardableResult
    mutating func remove(_ id: Int) -> Bool {
        guard let i = entries.firstIndex(where: { $0.id == id }) else { return false }
        entries.remove(at: i)
        return true
    }
}

/// A connection the coordinator refused, as recorded in the case's results (`data`: `{"refused": …}`).
struct RemoteRefusal: Sendable, Equatable {
    /// Who refused it: before any authentication (noise: recorded, the case goes on), or a connection
    /// that authenticated as a participant of this case (its join is invalid: the case fails).
    enum Stage: String, Sendable {
        case unauthenticated, authenticated
    }

    /// `address:port` the connection came from.
    var from: String
    /// Host and participants the hosts file places at that address (text), if any.
    var host: String
    var stage: Stage
    var reason: String

    var failsCase: Bool { stage == .authenticated }

    var json: JSONValue {
        .object([
            "refused": .object([
                "from": .string(from), "host": .string(host), "stage": .string(stage.rawValue),
                "reason": .string(reason), "failsCase": .bool(failsCase),
            ])
        ])
    }
}
