import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request, built anew for every attempt (a retry may carry a fresh token).
public struct HTTPRequestSpec: Sendable {
    public enum Method: String, Sendable {
        case GET, POST, PUT, PATCH, DELETE
    }

    public var method: Method
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?

    public init(method: Method, url: String, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders, body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `Retry-After` in seconds or as an HTTP date, if the reply has one.
    public var retryAfter: Duration? {
        guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value) { return .milliseconds(Int64(max(0, seconds) * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
    }
}

/// The request never got a complete answer: refused, reset, closed early, timed out, or a body
/// shorter than its Content-Length. Always worth retrying an idempotent request.
public struct TransportError: Error, CustomStringConvertible {
    public var description: String
}

/// Sends requests over one shared connection pool. Redirects are not followed (a redirect must
/// never carry a token to another host) and TLS certificates are always verified.
public struct HTTPService: Sendable {
    /// Lives as long as the process: one pool, shared by every system.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(60)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        ))

    /// Replies larger than this are refused (photos are at most a few MB).
    public static let maxReplyBytes = 16 * 1024 * 1024

    public init() {}

    public func send(_ spec: HTTPRequestSpec, timeout: Duration = .seconds(60)) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: spec.url)
        request.method = HTTPMethod(rawValue: spec.method.rawValue)
        for (name, value) in spec.headers { request.headers.add(name: name, value: value) }
        if let body = spec.body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await Self.client.execute(request, timeout: TimeAmount(timeout))
            let buffer = try await response.body.collect(upTo: Self.maxReplyBytes)
            let body = Data(buffer.readableBytesView)
            if let declared = response.headers.first(name: "Content-Length").flatMap(Int.init), declared != body.count {
                throw TransportError(description: "the body ended after \(body.count) of \(declared) bytes")
            }
            return HTTPReply(status: Int(response.status.code), headers: response.headers, body: body)
        } catch let error as TransportError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw TransportError(description: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .remoteConnectionClosed: return "the connection was closed before the answer was complete"
            case .readTimeout, .deadlineExceeded: return "no answer in time"
            case .connectTimeout: return "could not connect in time"
            case .bodyLengthMismatch: return "the body did not match its Content-Length"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
