import Foundation
import Testing
@testable import Assay

/// Ports and numbers of the remote-participant inputs: `--connect HOST:PORT` and the hosts file's
/// coordinator port, each mistake with its own message.
@Suite("remote inputs: ports and numbers")
struct RemoteInputTests {
    static func connectError(_ value: String) -> String {
        do {
            _ = try RemoteParticipantMain.parse(["--connect", value, "--bundle", "-"])
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test("--connect: a port out of range, not a number, or missing says so (not 'HOST:PORT is required')")
    func connectPorts() throws {
        let ok = try RemoteParticipantMain.parse(["--connect", "[::1]:7000", "--bundle", "-"])
        #expect(ok.host == "::1" && ok.port == 7000)
        #expect(Self.connectError("127.0.0.1:70000").hasPrefix("--connect '127.0.0.1:70000': port 70000 is out of range (1…65535)"))
        #expect(Self.connectError("127.0.0.1:0").contains("port 0 is out of range"))
        #expect(Self.connectError("127.0.0.1:99999999999999999999").contains("is out of range (1…65535)"))
        #expect(Self.connectError("127.0.0.1:http").contains("port 'http' is not a number"))
        #expect(Self.connectError("127.0.0.1:-1").contains("port '-1' is not a number"))
        #expect(Self.connectError("127.0.0.1").contains("no port"))
        #expect(Self.connectError(":7000").contains("no host"))
    }

    static func hostsError(_ port: String) throws -> String {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/hosts.json"
        try Data(#"{"coordinator": {"address": "127.0.0.1", "port": \#(port)}, "hosts": [], "roles": {}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        do {
            let f = try HostsFile.load(path)
            return "accepted \(f.coordinator.port.map(String.init) ?? "nil")"
        } catch {
            return "\(error)".replacingOccurrences(of: path, with: "H")
        }
    }

    @Test("hosts file: the coordinator port is checked as a number (1e20 is a port error, not 'not valid JSON')")
    func hostsFilePorts() throws {
        #expect(try Self.hostsError("7000") == "accepted 7000")
        #expect(try Self.hostsError("0") == "accepted 0")
        #expect(try Self.hostsError("1e20").contains("hosts file H: coordinator.port 1e+20 is not a port (an integer 0…65535)"))
        #expect(try Self.hostsError("70000").contains("coordinator.port 70000 is not a port"))
        #expect(try Self.hostsError("-1").contains("coordinator.port -1 is not a port"))
        #expect(try Self.hostsError("80.5").contains("coordinator.port 80.5 is not a port"))
        #expect(try Self.hostsError("\"80\"").contains("coordinator.port: wrong type"))
        let invalid = try Self.hostsError("7000]")
        #expect(invalid.contains("hosts file H: not valid JSON"), "\(invalid)")
    }
}
