// https-nio: an HTTP/1.1 server in a SwiftNIO pipeline of its own — NIO's ServerBootstrap, JSec's public
// TLSServerHandler nearest the socket, NIOHTTP1's server pipeline above it — answering GET and HEAD with a fixed
// body (keep-alive as the client asks). The NIO counterpart of Examples/https-server, which is written on NetStream.
// Run by the integration/examples suite with curl as the client.
//
//   swift run https-nio --cert cert.pem --key key.pem --port 8443
//   curl --cacert ca.pem https://localhost:8443/
import ArgumentParser
import Foundation
import JSec
import NIOCore
import NIOHTTP1
import NIOPosix

@main
struct HTTPSNIO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An HTTP/1.1 server over JSec's TLSServerHandler in a SwiftNIO pipeline (NIOHTTP1).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "TCP port (0 picks a free one; the URL is printed at start).") var port = 8443
    @Option(help: "Certificate chain (PEM file).") var cert: String
    @Option(help: "Private key (PEM file).") var key: String
    @Option(help: "ALPN protocols to accept, comma-separated, most preferred first (\"\": no ALPN).")
    var alpn = "http/1.1,http/1.0"  // what NIOHTTP1 serves; a client offering only others gets no_application_protocol
    @Option(help: "The response body.") var body = "Hello from jsec https-nio\n"

    func run() async throws {
        var configuration = TLSConfiguration.server(certificateChain: .file(cert), privateKey: .file(key))
        configuration.applicationProtocols = alpn.split(separator: ",").map(String.init)
        // One context for every connection; each connection gets its own handler.
        let context = try TLSContext(configuration)
        let body = self.body
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(TLSServerHandler(context: context))
                    try pipeline.configureHTTPServerPipeline()
                    try pipeline.addHandler(HelloHandler(body: body))
                }
            }
            .bind(host: host, port: port).get()
        say("https-nio: listening on https://\(host):\(channel.localAddress?.port ?? port)/")
        try await channel.closeFuture.get()
    }
}

/// Answers every request: 200 with the body for GET (the headers alone for HEAD), 405 otherwise. Logs one line per
/// response with what TLS negotiated, read from the connection's ``TLSServerHandler``; a failed connection (a
/// handshake the client gave up, a certificate it refused) is logged and closed.
final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let body: String
    private var request: HTTPRequestHead?
    private var served = 0

    init(body: String) { self.body = body }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break  // a request body is not used
        case .end:
            guard let request else { return }
            self.request = nil
            respond(to: request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let allowed = request.method == .GET || request.method == .HEAD
        let status: HTTPResponseStatus = allowed ? .ok : .methodNotAllowed
        let content = allowed ? body : "only GET and HEAD\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(content.utf8.count)")
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        served += 1
        let tls = try? context.pipeline.syncOperations.handler(type: TLSServerHandler.self).connection
        say(
            "\(request.method) \(request.uri) HTTP/\(request.version.major).\(request.version.minor) -> \(status.code) \(status.reasonPhrase)"
                + " (request \(served) on this connection, \(tls.map { "\($0.version) \($0.cipher)" } ?? "no TLS"),"
                + " alpn=\(tls?.alpn ?? "none"), keep-alive=\(keepAlive))")

        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: content)))), promise: nil)
        }
        let sent = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        // Closing sends TLS close_notify after the response (TLSServerHandler), then FIN.
        if !keepAlive { sent.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLSServerHandler reports its errors as JSecError: a category to switch on and a one-line message.
        if let e = error as? JSecError {
            say("connection error: \(e.category): \(e.message)")
        } else {
            say("connection error: \(error)")
        }
        context.close(promise: nil)
    }
}

/// Prints a line unbuffered, so a test reading stdout sees it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
