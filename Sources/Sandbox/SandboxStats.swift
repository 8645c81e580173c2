/// Counters served at `GET /_sandbox/stats`: what a test or benchmark checks the client by.
public struct SandboxStats: Sendable, Codable, Equatable {
    /// Graph requests (`/v1.0/…`) received, whatever became of them.
    public var requests = 0
    public var byStatus: [String: Int] = [:]
    /// Requests that arrived while a Retry-After this sandbox had sent was still running (beyond
    /// the allowance for requests already on their way). A well-behaved client has none.
    public var earlyRequests = 0
    /// Early requests by the limit whose Retry-After they broke (`LimitShape.description`).
    public var earlyByLimit: [String: Int] = [:]
    public var throttled = 0
    /// Throttling answers by the limit that gave them.
    public var throttledByLimit: [String: Int] = [:]
    public var faultsInjected = 0
    public var dropped = 0
    public var truncated = 0
    public var uploads = 0
    public var downloads = 0
    public var metadataReads = 0
    public var deletes = 0
    public var listPages = 0
    public var tokenRequests = 0
    public var tokensIssued = 0
    public var expiredTokenRejections = 0
    /// The most photo requests one app had in flight at once.
    public var maxPhotoConcurrency = 0
    /// Graph requests being answered right now.
    public var inFlight = 0

    enum CodingKeys: String, CodingKey {
        case requests, throttled, dropped, truncated, uploads, downloads, deletes
        case byStatus = "by_status"
        case earlyRequests = "early_requests"
        case earlyByLimit = "early_by_limit"
        case throttledByLimit = "throttled_by_limit"
        case faultsInjected = "faults_injected"
        case metadataReads = "metadata_reads"
        case listPages = "list_pages"
        case tokenRequests = "token_requests"
        case tokensIssued = "tokens_issued"
        case expiredTokenRejections = "expired_token_rejections"
        case maxPhotoConcurrency = "max_photo_concurrency"
        case inFlight = "in_flight"
    }
}
