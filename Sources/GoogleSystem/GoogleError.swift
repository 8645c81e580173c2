import Foundation
import PortraitCore
import PortraitHTTP

/// What Google's Directory API and token endpoint say when they refuse, turned into messages that
/// name the cause and the fix.
enum GoogleError {
    /// `{"error": {"code", "message", "errors": [{"reason", "message"}]}}`: the first reason and the message.
    static func reason(of reply: HTTPReply) -> (reason: String, message: String) {
        let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        let first = (error?["errors"] as? [[String: Any]])?.first
        return ((first?["reason"] as? String) ?? "", (error?["message"] as? String) ?? (first?["message"] as? String) ?? "")
    }

    /// Google's quota answers: per-minute rates, and too many at once.
    static let throttling: ThrottledClient.Throttling = { reply in
        let said = reason(of: reply).reason
        switch reply.status {
        case 429: return .init(.rate, reason: said)
        case 503: return .init(.concurrency, reason: said)
        case 403:
            switch said {
            case "userRateLimitExceeded", "rateLimitExceeded": return .init(.rate, reason: said)
            case "quotaExceeded": return .init(.concurrency, reason: said)
            default: return nil
            }
        default: return nil
        }
    }

    static func isNotFound(_ reply: HTTPReply) -> Bool { reply.status == 404 }

    /// The action of listing users, whose refusal concerns the whole system.
    static let listing = "list users"

    /// A Directory API reply that is not a success, for `action` ("write the photo of ann@example.com").
    static func failure(_ reply: HTTPReply, system: String, settings: GoogleSettings, action: String) -> SystemError {
        let (reason, message) = reason(of: reply)
        let said = "HTTP \(reply.status)\(reason.isEmpty ? "" : " \(reason)")\(message.isEmpty ? "" : ": \(message)")"
        switch (reply.status, reason) {
        case (401, _):
            return SystemError(.unauthorized, "\(system): Google refused the access token to \(action) (\(said))")
        case (403, "insufficientPermissions"):
            return SystemError(.unauthorized, "\(system): the token's scope does not allow Portrait to \(action) (\(said)); authorise \(GoogleSettings.writeScope) and \(GoogleSettings.readScope) for client id \(settings.key.clientId) under Security → API controls → Domain-wide delegation")
        case (403, _):
            return SystemError(.unauthorized, "\(system): Google does not let \(settings.admin) \(action) (\(said)); set `admin` to a super administrator (or one with the User Management role) of the domain, and check `customer` or `domain`")
        case (400, _) where action == listing:
            let whose: String
            switch settings.scope {
            case .customer(let id): whose = "`customer` (\"\(id)\"): my_customer, or a customer id from Account settings in the Admin console"
            case .domain(let domain): whose = "`domain` (\"\(domain)\"): a domain of the account"
            }
            return SystemError(.misconfigured, "\(system): Google refused to \(action) (\(said)); check \(whose)")
        case (404, _):
            return SystemError(.notFound, "\(system): cannot \(action): not found (\(said))")
        case (400, _), (413, _):
            return SystemError(.rejected, "\(system): Google refused to \(action) (\(said))")
        default:
            return SystemError(.failed, "\(system): cannot \(action) (\(said))")
        }
    }

    /// A refusal from the token endpoint (`{"error", "error_description"}`).
    static func tokenFailure(_ reply: HTTPReply, system: String, settings: GoogleSettings, scope: String) -> SystemError {
        let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
        let code = (object?["error"] as? String) ?? "HTTP \(reply.status)"
        let description = (object?["error_description"] as? String) ?? ""
        let account = settings.key.clientEmail
        let fix: String
        switch code {
        case "unauthorized_client":
            fix = "authorise client id \(settings.key.clientId) for scope \(scope) under Security → API controls → Domain-wide delegation in the Google Admin console (Portrait asks for \(GoogleSettings.readScope) to read and \(GoogleSettings.writeScope) to write)"
        case "invalid_grant" where description.contains("email or User ID") || description.contains("valid email"):
            fix = "`admin` \(settings.admin) is not a user of the domain: set it to the primary email of an administrator"
        case "invalid_grant" where description.contains("Signature"):
            fix = "the key in \(settings.key.file) is not (or no longer) a key of \(account): create a new JSON key under IAM → Service accounts → Keys"
        case "invalid_grant" where description.contains("audience"):
            fix = "the token endpoint is not the key's: remove `token_url`, or set it to the key's token_uri"
        case "invalid_grant" where description.contains("iat") || description.contains("timeframe"):
            fix = "this machine's clock is off: set it right (NTP) and try again"
        case "invalid_grant" where description.contains("account not found"):
            fix = "the service account \(account) does not exist (deleted?): create a key for an existing service account"
        case "invalid_grant":
            fix = "check `admin`, the key file and this machine's clock"
        case "invalid_client":
            fix = "the service account \(account) or its key was disabled or deleted: create a new JSON key"
        default:
            fix = "check service_account_file, admin and the domain-wide delegation of client id \(settings.key.clientId)"
        }
        let said = description.isEmpty ? code : "\(code): \(description)"
        let kind: SystemError.Kind = reply.status >= 500 ? .unreachable : .unauthorized
        return SystemError(kind, "\(system): Google sign-in as \(settings.admin) failed (\(said)) — \(fix)")
    }
}
