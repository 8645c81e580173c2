import Foundation
import PortraitCore

/// One limit an emulated service puts on a client (Graph's app, Google's admin) — the shapes real
/// services' limits take, as options a test or benchmark sweeps: a sliding window of any length
/// (a minute quota, a one-second burst limit), a cap on requests in flight, with or without
/// Retry-After, over all requests, photo requests or writes, and optionally halved for a stretch
/// of the run (a limit that moves).
public struct LimitShape: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// At most `requests` admitted in any `length`.
        case window(requests: Int, length: Duration)
        /// At most this many admitted requests in flight.
        case concurrency(Int)
    }

    /// Which requests a limit counts.
    public enum Scope: String, Sendable, Hashable {
        case all, photos, writes
    }

    public var kind: Kind
    public var scope: Scope
    /// Whether a refusal says when to come back.
    public var retryAfter: Bool
    /// Halved over this stretch, counted from the service's first request; whole again after.
    public var halved: Range<Duration>?

    public init(_ kind: Kind, scope: Scope = .all, retryAfter: Bool = true, halved: Range<Duration>? = nil) {
        self.kind = kind
        self.scope = scope
        self.retryAfter = retryAfter
        self.halved = halved
    }

    public static func window(_ requests: Int, per length: Duration, scope: Scope = .all, retryAfter: Bool = true,
                              halved: Range<Duration>? = nil) -> LimitShape {
        LimitShape(.window(requests: requests, length: length), scope: scope, retryAfter: retryAfter, halved: halved)
    }

    public static func concurrency(_ requests: Int, scope: Scope = .all, retryAfter: Bool = true) -> LimitShape {
        LimitShape(.concurrency(requests), scope: scope, retryAfter: retryAfter)
    }

    /// "80 per 1 s, all requests, Retry-After" — also the key of its counters.
    public var description: String {
        let limit = switch kind {
        case .window(let requests, let length): "\(requests) per \(Self.seconds(length))"
        case .concurrency(let requests): "\(requests) at once"
        }
        var text = "\(limit), \(scope == .all ? "all requests" : scope.rawValue), \(retryAfter ? "Retry-After" : "no Retry-After")"
        if let halved { text += ", halved \(Self.seconds(halved.lowerBound))–\(Self.seconds(halved.upperBound))" }
        return text
    }

    private static func seconds(_ duration: Duration) -> String {
        duration.seconds == duration.seconds.rounded() ? "\(Int(duration.seconds)) s" : String(format: "%.2f s", duration.seconds)
    }
}

/// The state of a service's limits for one client: what each has admitted, and which refuses.
struct ServiceLimits: Sendable {
    /// A limit refused a request: which, and when it frees (for Retry-After).
    struct Refusal: Sendable {
        var shape: LimitShape
        var retryAfter: Int?
    }

    let shapes: [LimitShape]
    private var admitted: [[ContinuousClock.Instant]]
    private var inFlight: [Int]
    private var firstRequest: ContinuousClock.Instant?

    init(_ shapes: [LimitShape]) {
        self.shapes = shapes
        admitted = shapes.map { _ in [] }
        inFlight = shapes.map { _ in 0 }
    }

    /// Admits a request or names the limit that refuses it; an admitted one must be released.
    mutating func admit(now: ContinuousClock.Instant, isPhoto: Bool, isWrite: Bool) -> Refusal? {
        let start = firstRequest ?? now
        firstRequest = start
        var counted: [Int] = []
        for (index, shape) in shapes.enumerated() where Self.counts(shape.scope, isPhoto: isPhoto, isWrite: isWrite) {
            let factor = shape.halved?.contains(now - start) == true ? 0.5 : 1
            switch shape.kind {
            case .window(let requests, let length):
                let limit = max(1, Int(Double(requests) * factor))
                if let first = admitted[index].firstIndex(where: { $0 > now - length }) {
                    admitted[index].removeFirst(first)
                } else {
                    admitted[index].removeAll()
                }
                if admitted[index].count >= limit {
                    let free = admitted[index][admitted[index].count - limit] + length
                    return Refusal(shape: shape, retryAfter: shape.retryAfter ? max(1, Int((free - now).seconds.rounded(.up))) : nil)
                }
            case .concurrency(let requests):
                if inFlight[index] >= max(1, Int(Double(requests) * factor)) {
                    return Refusal(shape: shape, retryAfter: shape.retryAfter ? 1 : nil)
                }
            }
            counted.append(index)
        }
        for index in counted {
            if case .window = shapes[index].kind { admitted[index].append(now) } else { inFlight[index] += 1 }
        }
        return nil
    }

    /// Ends an admitted request.
    mutating func release(isPhoto: Bool, isWrite: Bool) {
        for (index, shape) in shapes.enumerated() where Self.counts(shape.scope, isPhoto: isPhoto, isWrite: isWrite) {
            if case .concurrency = shape.kind { inFlight[index] -= 1 }
        }
    }

    private static func counts(_ scope: LimitShape.Scope, isPhoto: Bool, isWrite: Bool) -> Bool {
        switch scope {
        case .all: true
        case .photos: isPhoto
        case .writes: isWrite
        }
    }
}

extension LimitShape {
    /// Parses `80/1s`, `2400/60s,no-retry-after`, `4-at-once,photos`, `20/1s,writes,halved:10-30`
    /// (a window of requests per seconds, or a cap on requests at once; then which requests it
    /// counts, whether it sends Retry-After, and seconds of the run it is halved over).
    public init?(spec: String) {
        var parts = spec.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { return nil }
        let limit = parts.removeFirst()
        if limit.hasSuffix("-at-once"), let requests = Int(limit.dropLast("-at-once".count)), requests > 0 {
            self.init(.concurrency(requests))
        } else {
            let fraction = limit.split(separator: "/")
            guard fraction.count == 2, let requests = Int(fraction[0]), requests > 0, fraction[1].hasSuffix("s"),
                  let seconds = Double(fraction[1].dropLast()), seconds > 0 else { return nil }
            self.init(.window(requests: requests, length: .milliseconds(Int64(seconds * 1000))))
        }
        for part in parts {
            if let scope = Scope(rawValue: part) {
                self.scope = scope
            } else if part == "no-retry-after" {
                retryAfter = false
            } else if part.hasPrefix("halved:") {
                let bounds = part.dropFirst("halved:".count).split(separator: "-").compactMap { Double($0) }
                guard bounds.count == 2, bounds[0] < bounds[1] else { return nil }
                halved = .milliseconds(Int64(bounds[0] * 1000)) ..< .milliseconds(Int64(bounds[1] * 1000))
            } else {
                return nil
            }
        }
    }
}
