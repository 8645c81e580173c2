import Foundation
import PortraitCore
import PortraitHTTP

/// What Graph and the Microsoft identity platform say when they refuse, turned into messages
/// that name the cause and the fix.
enum GraphError {
    /// Graph's `{"error": {"code", "message"}}`.
    static func code(of reply: HTTPReply) -> (code: String, message: String) {
        let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        return ((error?["code"] as? String) ?? "", (error?["message"] as? String) ?? "")
    }

    /// Graph's throttling answers: Outlook's MailboxConcurrency (`ApplicationThrottled`) and a 503
    /// are too many at once; any other 429 (`TooManyRequests`, a resource-unit budget) too many
    /// in a window.
    static let throttling: ThrottledClient.Throttling = { reply in
        switch reply.status {
        case 503: return .init(.concurrency, reason: code(of: reply).code)
        case 429:
            let said = code(of: reply).code
            return .init(said == "ApplicationThrottled" ? .concurrency : .rate, reason: said)
        default: return nil
        }
    }

    /// A 404 that means "this user has no photo" (`ImageNotFound`), not "no such user".
    static func isNoPhoto(_ reply: HTTPReply) -> Bool {
        reply.status == 404 && code(of: reply).code == "ImageNotFound"
    }

    /// A Graph reply that is not a success, for `action` ("write the photo of ann@contoso.com").
    static func failure(_ reply: HTTPReply, system: String, action: String) -> SystemError {
        let (code, message) = code(of: reply)
        let said = code.isEmpty ? "HTTP \(reply.status)" : "HTTP \(reply.status) \(code)\(message.isEmpty ? "" : ": \(message)")"
        switch reply.status {
        case 401:
            return SystemError(.unauthorized, "\(system): Graph refused the access token to \(action) (\(said))")
        case 403:
            return SystemError(.unauthorized, "\(system): Graph forbids the app to \(action) (\(said)); grant it the application permission ProfilePhoto.ReadWrite.All (User.Read.All to list users) and give admin consent")
        case 404:
            return SystemError(.notFound, "\(system): cannot \(action): not found (\(said))")
        case 413:
            return SystemError(.rejected, "\(system): cannot \(action): the photo is over Graph's 4 MB limit (\(said))")
        case 400:
            return SystemError(.rejected, "\(system): Graph refused to \(action) (\(said))")
        default:
            return SystemError(.failed, "\(system): cannot \(action) (\(said))")
        }
    }

    /// A refusal from the token endpoint (`{"error", "error_description", "error_codes"}`).
    static func tokenFailure(_ reply: HTTPReply, system: String, settings: GraphSettings) -> SystemError {
        let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
        let description = (object?["error_description"] as? String) ?? ""
        let codes = (object?["error_codes"] as? [Int]) ?? []
        // The first line of the description carries the AADSTS code and reason; the rest is trace ids.
        let reason = description.split(separator: "\r\n").first.map(String.init) ?? description.split(separator: "\n").first.map(String.init) ?? "HTTP \(reply.status)"
        let fix: String
        switch codes.first ?? 0 {
        case 7_000_215, 7_000_222:
            fix = "the client secret is wrong or has expired: create a new one under App registrations → Certificates & secrets and update client_secret_env or client_secret_file"
        case 700_027, 700_023, 50_012:
            fix = "the client assertion was not accepted: upload certificate_file's certificate to the app registration, and check private_key_file is its key"
        case 700_016:
            fix = "no app with client_id \(settings.clientId) exists in tenant \(settings.tenant): check client_id and tenant"
        case 70_011, 1_002_012:
            fix = "the sign-in service refused the scope \(settings.scope): check `cloud` (the scope is the cloud's Graph, whatever graph_url says)"
        case 90_002, 900_023, 90_023:
            fix = "tenant \(settings.tenant) was not found: check `tenant` (a tenant id or a verified domain) and `cloud`"
        default:
            fix = "check tenant, client_id and the credential"
        }
        let kind: SystemError.Kind = reply.status >= 500 ? .unreachable : .unauthorized
        return SystemError(kind, "\(system): sign-in at \(settings.loginURL) failed: \(reason) — \(fix)")
    }
}
