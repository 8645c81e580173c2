import Foundation
import NIOHTTP1

/// JSON batching (`POST /v1.0/$batch`) as Graph does it: at most 20 requests, each admitted and
/// throttled on its own, at most 4 of a batch running at once; the batch answers 200 with each
/// request's own status, headers and body (JSON as is, anything else base64).
extension GraphService {
    static let batchLimit = 20
    static let batchParallelism = 4

    func batch(_ envelope: SandboxRequest) async -> SandboxResponse {
        guard let object = (try? JSONSerialization.jsonObject(with: envelope.body)) as? [String: Any],
              let requests = object["requests"] as? [[String: Any]], !requests.isEmpty else {
            return .graphError(.badRequest, "BadRequest", "Invalid batch payload format.")
        }
        guard requests.count <= Self.batchLimit else {
            return .graphError(.badRequest, "BadRequest", "Batch request exceeds the limit of \(Self.batchLimit) requests.")
        }
        let parsed = requests.map { subrequest(from: $0, envelope: envelope) }
        let responses = await withTaskGroup(of: (Int, SandboxResponse?).self) { group in
            var results = [SandboxResponse?](repeating: nil, count: parsed.count)
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask {
                    guard let (_, request) = parsed[index] else { return (index, nil) }
                    return (index, await handle(request))
                }
            }
            while next < min(Self.batchParallelism, parsed.count) { start() }
            for await (index, response) in group {
                results[index] = response
                if next < parsed.count { start() }
            }
            return results
        }
        let answers = zip(parsed, responses).enumerated().map { offset, pair -> [String: Any] in
            guard let (id, _) = pair.0, let response = pair.1 else {
                return ["id": "\(offset)", "status": 400, "body": ["error": ["code": "BadRequest", "message": "Invalid request in batch."]]]
            }
            return encode(id: id, response: response)
        }
        return .json(.ok, ["responses": answers])
    }

    private func subrequest(from object: [String: Any], envelope: SandboxRequest) -> (String, SandboxRequest)? {
        guard let id = object["id"] as? String, let method = object["method"] as? String,
              let url = object["url"] as? String, url.hasPrefix("/") else { return nil }
        var headers = HTTPHeaders()
        if let authorization = envelope.header("Authorization") { headers.add(name: "Authorization", value: authorization) }
        for (name, value) in (object["headers"] as? [String: String]) ?? [:] { headers.add(name: name, value: value) }
        var body = Data()
        if let json = object["body"] as? [String: Any] {
            body = (try? JSONSerialization.data(withJSONObject: json)) ?? Data()
        } else if let text = object["body"] as? String {
            body = Data(base64Encoded: text) ?? Data()
        }
        let parts = url.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        for pair in parts.dropFirst().first?.split(separator: "&") ?? [] {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
        }
        return (id, SandboxRequest(method: HTTPMethod(rawValue: method), path: "/v1.0" + String(parts[0]), query: query,
                                   headers: headers, body: body, base: envelope.base, arrived: envelope.arrived))
    }

    private func encode(id: String, response: SandboxResponse) -> [String: Any] {
        guard case .whole = response.delivery else {
            return ["id": id, "status": 500, "body": ["error": ["code": "generalException", "message": "An internal server error occurred."]]]
        }
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name] = value }
        var answer: [String: Any] = ["id": id, "status": Int(response.status.code), "headers": headers]
        if !response.body.isEmpty {
            if headers["Content-Type"]?.hasPrefix("application/json") == true,
               let json = try? JSONSerialization.jsonObject(with: response.body) {
                answer["body"] = json
            } else {
                answer["body"] = response.body.base64EncodedString()
            }
        }
        return answer
    }
}
