extension NetAddress {
    /// A port to listen on: 0 (the system picks one) through 65,535. Anything else is a usage error naming it
    /// (it would otherwise wrap around: 70,000 would bind 4,464).
    static func checkListenPort(_ port: Int, what: String) throws {
        guard (0...65_535).contains(port) else {
            throw JSecError(.usage, "\(what): port \(port) is out of range (0…65535)", code: .jsec(.invalidArgument))
        }
    }

    /// A port to connect or send to: 1 through 65,535.
    static func checkConnectPort(_ port: Int, what: String) throws {
        guard (1...65_535).contains(port) else {
            throw JSecError(.usage, "\(what): port \(port) is out of range (1…65535)", code: .jsec(.invalidArgument))
        }
    }
}
