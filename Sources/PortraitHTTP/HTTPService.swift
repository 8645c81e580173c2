import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PortraitCore
import Synchronization

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
    /// No connection was made at all (refused, DNS, connect timeout, TLS handshake): the system
    /// may be down, rather than one answer lost.
    public var atConnect: Bool
    /// Trying again cannot help (TLS spoken to an http port, a certificate not trusted).
    public var permanent = false
}

/// Where requests go out: straight, or through the proxy `HTTPS_PROXY` names (unless `NO_PROXY`
/// covers the host), trusting the system's CAs plus an optional `ca_file` (a TLS-inspecting
/// proxy's root). Plain http is only ever sent to loopback hosts, so it never takes a proxy.
public struct HTTPService: Sendable {
    /// Replies larger than this are refused (photos are at most a few MB).
    public static let maxReplyBytes = 16 * 1024 * 1024

    private let direct: HTTPClient
    private let proxied: HTTPClient?
    private let noProxy: NoProxy

    /// `caFile`: a PEM file of extra trusted CA certificates.
    public init(caFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let proxy = try Proxy(environment: environment)
        direct = try Clients.shared.client(Clients.Key(caFile: caFile, proxy: nil))
        proxied = try proxy.map { try Clients.shared.client(Clients.Key(caFile: caFile, proxy: $0)) }
        noProxy = NoProxy(environment["NO_PROXY"] ?? environment["no_proxy"] ?? "")
    }

    public func send(_ spec: HTTPRequestSpec, timeout: Duration = .seconds(60)) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: spec.url)
        request.method = HTTPMethod(rawValue: spec.method.rawValue)
        for (name, value) in spec.headers { request.headers.add(name: name, value: value) }
        if let body = spec.body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let client = client(for: spec.url)
        do {
            let response = try await client.execute(request, timeout: TimeAmount(timeout))
            let buffer = try await response.body.collect(upTo: Self.maxReplyBytes)
            let body = Data(buffer.readableBytesView)
            if let declared = response.headers.first(name: "Content-Length").flatMap(Int.init), declared != body.count {
                throw TransportError(description: "the body ended after \(body.count) of \(declared) bytes", atConnect: false)
            }
            return HTTPReply(status: Int(response.status.code), headers: response.headers, body: body)
        } catch let error as TransportError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.transportError(error, url: spec.url)
        }
    }

    private func client(for url: String) -> HTTPClient {
        guard let proxied, let parsed = URL(string: url), parsed.scheme?.lowercased() == "https",
              !noProxy.covers(host: parsed.host ?? "") else { return direct }
        return proxied
    }

    private static func transportError(_ error: any Error, url: String) -> TransportError {
        let host = URL(string: url).map { "\($0.host ?? "?")\($0.port.map { ":\($0)" } ?? "")" } ?? url
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .remoteConnectionClosed: return TransportError(description: "the connection was closed before the answer was complete", atConnect: false)
            case .readTimeout, .deadlineExceeded: return TransportError(description: "no answer in time", atConnect: false)
            case .connectTimeout: return TransportError(description: "could not connect to \(host) in time", atConnect: true)
            case .bodyLengthMismatch: return TransportError(description: "the body did not match its Content-Length", atConnect: false)
            default: return TransportError(description: "\(error)", atConnect: false)
            }
        case let error as IOError where [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT].contains(error.errnoCode):
            return TransportError(description: "cannot connect to \(host): \(String(cString: strerror(error.errnoCode)).lowercased())", atConnect: true)
        case is NIOConnectionError:
            return TransportError(description: "cannot connect to \(host): \(error)", atConnect: true)
        case NIOSSLError.handshakeFailed(let reason) where "\(reason)".contains("WRONG_VERSION_NUMBER"):
            return TransportError(description: "TLS handshake with \(host) failed — is this an http:// address?", atConnect: true, permanent: true)
        case is NIOSSLError, is NIOSSLExtraError:
            return TransportError(description: "TLS with \(host) failed: \(error); if a proxy inspects TLS, set ca_file to its root certificate", atConnect: true, permanent: true)
        default:
            return TransportError(description: "\(error)", atConnect: false)
        }
    }
}

/// One connection pool per kind of route, shared by every system that takes it.
private final class Clients: Sendable {
    struct Key: Hashable {
        var caFile: String?
        var proxy: Proxy?
    }

    static let shared = Clients()
    private let clients = Mutex<[Key: HTTPClient]>([:])

    func client(_ key: Key) throws -> HTTPClient {
        try clients.withLock { clients in
            if let client = clients[key] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = key.caFile {
                do {
                    tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caFile))]
                } catch {
                    throw SystemError(.misconfigured, "ca_file \(caFile) holds no PEM certificate: \(error)")
                }
            }
            var configuration = HTTPClient.Configuration(
                tlsConfiguration: tls,
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(5), read: .seconds(60)),
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32))
            if let proxy = key.proxy {
                configuration.proxy = .server(host: proxy.host, port: proxy.port,
                                              authorization: proxy.credentials.map { .basic(credentials: $0) })
            }
            // Lives as long as the process.
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = client
            return client
        }
    }
}

/// `HTTPS_PROXY` (or `https_proxy`): `http://[user:password@]host[:port]`.
struct Proxy: Hashable, Sendable {
    var host: String
    var port: Int
    /// `user:password`, already percent-decoded.
    var credentials: String?

    init?(environment: [String: String]) throws {
        guard let text = environment["HTTPS_PROXY"] ?? environment["https_proxy"], !text.isEmpty else { return nil }
        try self.init(text)
    }

    init(_ text: String) throws {
        let withScheme = text.contains("://") ? text : "http://\(text)"
        guard let url = URL(string: withScheme), let host = url.host, !host.isEmpty,
              ["http", "https"].contains(url.scheme?.lowercased() ?? "") else {
            throw SystemError(.misconfigured, "HTTPS_PROXY is not a proxy address such as http://proxy.example.com:3128")
        }
        self.host = host
        port = url.port ?? 80
        if let user = url.user(percentEncoded: false) {
            credentials = "\(user):\(url.password(percentEncoded: false) ?? "")"
        }
    }
}

/// `NO_PROXY` (or `no_proxy`): hosts reached directly. Entries are separated by commas: `*` for
/// every host, a name that also covers its subdomains (`example.com`, `.example.com`), or an IP.
struct NoProxy: Sendable {
    private let entries: [String]

    init(_ text: String) {
        entries = text.split(separator: ",").map {
            var entry = $0.trimmingCharacters(in: .whitespaces).lowercased()
            if entry.hasPrefix("*.") { entry.removeFirst() }
            if entry.hasPrefix(".") { entry.removeFirst() }
            // A port names no different host here.
            if let colon = entry.lastIndex(of: ":"), !entry.contains("]"), entry.filter({ $0 == ":" }).count == 1 {
                entry = String(entry[..<colon])
            }
            return entry
        }.filter { !$0.isEmpty }
    }

    func covers(host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return entries.contains { $0 == "*" || host == $0 || host.hasSuffix("." + $0) }
    }
}
