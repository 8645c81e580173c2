import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the sandbox's routes see it.
struct SandboxRequest: Sendable {
    var method: HTTPMethod
    /// Percent-decoded path, e.g. `/v1.0/users/abc/photo/$value`.
    var path: String
    var query: [String: String]
    var headers: HTTPHeaders
    var body: Data
    /// Scheme, host and port the client used, for absolute links.
    var base: String
    /// When its head was read: what "arrived during a Retry-After" is judged by, not when a
    /// busy sandbox got round to it.
    var arrived: ContinuousClock.Instant

    func header(_ name: String) -> String? { headers.first(name: name) }

    /// The body's `application/x-www-form-urlencoded` fields, as token endpoints take them.
    var formFields: [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            fields[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return fields
    }
}

/// What to send back, or how to misbehave instead.
struct SandboxResponse: Sendable {
    enum Delivery: Sendable {
        case whole
        /// Close the connection without answering.
        case drop
        /// Send the head and half the body, then close.
        case truncate
    }

    var status: HTTPResponseStatus
    var headers: [(String, String)] = []
    var body: Data = Data()
    var delivery: Delivery = .whole

    static func json(_ status: HTTPResponseStatus, _ object: Any, headers: [(String, String)] = []) -> SandboxResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return SandboxResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: data)
    }

    /// Graph's error shape: `{"error": {"code", "message"}}`.
    static func graphError(_ status: HTTPResponseStatus, _ code: String, _ message: String, headers: [(String, String)] = []) -> SandboxResponse {
        json(status, ["error": ["code": code, "message": message, "innerError": ["request-id": UUID().uuidString]]], headers: headers)
    }
}

/// A small HTTP/1.1 server on SwiftNIO's async channels: one task per connection, requests on a
/// connection answered in order.
final class SandboxHTTPServer: Sendable {
    typealias Handler = @Sendable (SandboxRequest) async -> SandboxResponse

    let port: Int
    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let accepting: Task<Void, Never>

    init(host: String, port: Int, handler: @escaping Handler) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        self.port = channel.channel.localAddress?.port ?? port
        let server = channel
        accepting = Task {
            try? await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await Self.serve(connection, handler: handler) }
                    }
                }
            }
        }
    }

    func stop() async {
        try? await channel.channel.close()
        accepting.cancel()
        _ = await accepting.value
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, handler: Handler) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var arrived = ContinuousClock.now
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    arrived = .now
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let requestHead = head else { return }
                    let request = Self.request(requestHead, body: Data(body.readableBytesView), arrived: arrived, local: connection.channel.localAddress)
                    let response = await handler(request)
                    if case .drop = response.delivery { return }
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
                    try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: response.status, headers: headers)))
                    if case .truncate = response.delivery {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body.prefix(response.body.count / 2)))))
                        return
                    }
                    if !response.body.isEmpty {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    }
                    try await outbound.write(.end(nil))
                    if !requestHead.isKeepAlive { return }
                }
            }
        }
    }

    private static func request(_ head: HTTPRequestHead, body: Data, arrived: ContinuousClock.Instant, local: SocketAddress?) -> SandboxRequest {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0]).removingPercentEncoding ?? String(kv[0])
                let value = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
                query[key] = value
            }
        }
        let host = head.headers.first(name: "Host") ?? "127.0.0.1:\(local?.port ?? 0)"
        return SandboxRequest(method: head.method, path: path, query: query, headers: head.headers, body: body, base: "http://\(host)", arrived: arrived)
    }
}
