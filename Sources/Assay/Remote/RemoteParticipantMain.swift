import Foundation

/// `runner participant --connect HOST:PORT --bundle FILE|-` (or `--ca/--cert/--key` and
/// `--token`/`ASSAY_TOKEN`): a remote participant. Connects to the coordinator through the runner's
/// transport with its credentials (AssayRemoteTLS: TLS 1.3 with its client certificate), sends the token,
/// receives its request, and runs its role's body as a process-mode participant whose Unix connection is
/// relayed over the link. When the link is
/// lost the body is aborted, and the process exits at most `grace` seconds later.
enum RemoteParticipantMain {
    static let command = "participant"
    static let usage = """
        usage: runner participant --connect HOST:PORT (--bundle FILE|- | --ca CA.pem --cert CERT.pem --key KEY.pem)
                                  [--token TOKEN]   (or ASSAY_TOKEN; default: the bundle's token)
        """

    struct Options {
        var host = "", port = 0
        var bundle: String?, ca: String?, cert: String?, key: String?, token: String?
    }

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw RemoteParticipantError(description: "\(args[i - 1]) needs a value\n\(usage)") }
            return args[i]
        }
        var connect: String?
        while i < args.count {
            switch args[i] {
            case "--connect": connect = try value()
            case "--bundle": o.bundle = try value()
            case "--ca": o.ca = try value()
            case "--cert": o.cert = try value()
            case "--key": o.key = try value()
            case "--token": o.token = try value()
            default: throw RemoteParticipantError(description: "unknown argument '\(args[i])'\n\(usage)")
            }
            i += 1
        }
        guard let c = connect else { throw RemoteParticipantError(description: "--connect HOST:PORT is required\n\(usage)") }
        (o.host, o.port) = try endpoint(c)
        guard (o.bundle != nil) != (o.ca != nil || o.cert != nil || o.key != nil),
            o.bundle != nil || (o.ca != nil && o.cert != nil && o.key != nil)
        else {
            throw RemoteParticipantError(description: "give either --bundle or all of --ca, --cert, --key\n\(usage)")
        }
        return o
    }

    /// `HOST:PORT` or `[IPv6]:PORT` of `--connect`, each mistake with its own message.
    static func endpoint(_ c: String) throws -> (host: String, port: Int) {
        guard let colon = c.lastIndex(of: ":") else {
            throw RemoteParticipantError(description: "--connect '\(c)': no port (HOST:PORT, [IPv6]:PORT)")
        }
        let host = String(c[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let text = c[c.index(after: colon)...]
        guard !host.isEmpty else { throw RemoteParticipantError(description: "--connect '\(c)': no host (HOST:PORT, [IPv6]:PORT)") }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RemoteParticipantError(description: "--connect '\(c)': port '\(text)' is not a number (1…65535)")
        }
        guard text.count <= 5, let port = Int(text), (1...65_535).contains(port) else {
            throw RemoteParticipantError(description: "--connect '\(c)': port \(text) is out of range (1…65535)")
        }
        return (host, port)
    }

    /// The participant's credentials, and the token it presents (`--token`, else `ASSAY_TOKEN`, else the bundle's).
    typealias Credentials = (credentials: any RemoteParticipantCredentials, token: String)

    static func credentials(_ o: Options, transport: any RemoteTransport) throws -> Credentials {
        func text(_ path: String) throws -> String {
            if path == "-" { return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
            guard let d = FileManager.default.contents(atPath: path) else { throw RemoteParticipantError(description: "cannot read \(path)") }
            return String(decoding: d, as: UTF8.self)
        }
        let c: any RemoteParticipantCredentials
        if let path = o.bundle {
            c = try transport.participant(bundle: try text(path))
        } else {
            c = try transport.participant(certificate: try text(o.cert!), key: try text(o.key!), ca: try text(o.ca!))
        }
        guard let token = o.token ?? ProcessInfo.processInfo.environment["ASSAY_TOKEN"] ?? c.token else {
            throw RemoteParticipantError(description: "no token: give --token, ASSAY_TOKEN or a bundle with one")
        }
        return (c, token)
    }

    static func run(suites: [Suite], arguments: [String], transport: (any RemoteTransport)?) -> Int32 {
        func fail(_ s: String, _ code: Int32 = 3) -> Int32 {
            FileHandle.standardError.write(Data("assay participant: \(s)\n".utf8))
            return code
        }
        guard let transport else { return fail(RemoteParticipantError.noTransport, 2) }
        let options: Options
        let creds: any RemoteParticipantCredentials
        let token: String
        do {
            options = try parse(arguments)
            (creds, token) = try credentials(options, transport: transport)
        } catch { return fail("\(error)", 2) }

        // Connect, authenticate, and receive the request.
        let joined: Result<(any RemoteStream, ParticipantRequest), any Error> = blockingAwait {
            do {
                let stream: any RemoteStream
                do {
                    stream = try await creds.connect(host: options.host, port: options.port, timeout: .seconds(15))
                } catch let e as RemoteLinkError where e.kind == .verification {
                    throw RemoteParticipantError(
                        description: "the coordinator is not the one of this bundle's run (its certificate does not verify against the bundle's CA): \(e)")
                }
                do {
                    try await RemoteLine.write(RemoteJoin(token: token), to: stream)
                    let line = try await RemoteLine.read(stream, limit: 1 << 20, timeout: .seconds(30))
                    let admission = try JSONDecoder().decode(RemoteAdmission.self, from: Data(line))
                    guard let req = admission.request else {
                        throw RemoteParticipantError(description: "the coordinator refused this participant: \(admission.refused ?? "no reason given")")
                    }
                    return .success((stream, req))
                } catch let e as RemoteLinkError where [.verification, .handshake, .closed].contains(e.kind) {
                    await stream.close()
                    throw RemoteParticipantError(description: "the coordinator refused this participant (\(e))")
                } catch {
                    await stream.close()
                    throw error
                }
            } catch { return .failure(error) }
        }
        guard case .success(let (link, request)) = joined else {
            if case .failure(let e) = joined { return fail("\(options.host):\(options.port): \(e)") }
            return 3
        }

        // The worker connects to a private Unix socket whose one connection is relayed over the link.
        let dir = "/tmp/assay-r\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch { return fail("cannot create \(dir): \(error)") }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s"
        let listening: Result<any RemoteLocalListener, any Error> = blockingAwait {
            do { return .success(try await transport.listen(unixPath: path, backlog: 1)) } catch { return .failure(error) }
        }
        guard case .success(let listener) = listening else { return fail("cannot listen on \(path)") }
        let silence = 10 * (request.waitScale ?? 1)
        let relayDone = DispatchSemaphore(value: 0)
        Task.detached {
            defer { relayDone.signal() }
            guard let local = try? await listener.accept(timeout: .seconds(30)) else {
                await listener.close()
                await link.close()
                return
            }
            await listener.close()
            // Its one connection made, the socket's directory goes: a participant killed from here on leaves none.
            try? FileManager.default.removeItem(atPath: dir)
            FileHandle.standardError.write(
                Data("assay participant: joined as \(request.role)[\(request.index)] of \(request.id) via \(options.host):\(options.port)\n".utf8))
            let end = await RemoteRelay(remote: link, local: local, heartbeat: 1, silence: silence).run()
            if end != .localClosed {
                FileHandle.standardError.write(Data("assay participant: the link to the coordinator ended: \(end)\n".utf8))
                // The body was aborted; if it does not return, stop anyway.
                DispatchQueue.global().asyncAfter(deadline: .now() + silence) { _exit(3) }
            }
        }
        var req = request
        req.socketPath = path
        guard let json = try? JSONEncoder().encode(req) else { return fail("cannot encode the request") }
        let code = ParticipantWorker.run(suites: suites, json: String(decoding: json, as: UTF8.self), watchParent: false)
        // Let the relay carry the last lines (done/failed) before leaving.
        _ = relayDone.wait(timeout: .now() + 10)
        return code
    }
}

/// Why a remote participant could not join (printed; exit status 3).
struct RemoteParticipantError: Error, CustomStringConvertible {
    let description: String

    /// A runner built without a transport (`AssayMain.main(suites:remoteTransport:metadata:)`).
    static let noTransport =
        "this runner has no remote transport: remote participants need a runner that wires one in (the project's runner wires in AssayRemoteTLS)"
}
