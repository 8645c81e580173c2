import Foundation
import Sandbox
import GraphSystem
import PortraitCore
import PortraitHTTP
import PortraitImaging
import Testing

/// GraphSystem against the sandbox, call by call: each of Graph's answers in the notes.
@Suite struct GraphSystemTests {
    /// Runs `body` against a fresh three-user sandbox, stopped afterwards whatever happens.
    func withGraph(secret: String = "sandbox-secret", _ body: (Sandbox, GraphSystem) async throws -> Void) async throws {
        var options = SandboxOptions()
        options.users = 3
        options.photoFraction = 0
        try await Sandbox.run(options) { sandbox in
            let graph = try GraphSystem(name: "m365", settings: GraphSettings(
                tenant: options.tenant, clientId: options.clientId, credential: .secret(Secret(secret)),
                graphURL: sandbox.baseURL, loginURL: sandbox.baseURL, matching: [.same(.mail)], profile: RenditionProfile(side: 648)))
            try await body(sandbox, graph)
        }
    }

    func account(_ index: Int) -> Account {
        Account(id: String(format: "%08x-0000-4000-8000-%012x", index + 1, index + 1),
                keys: MatchKeys(mail: SamplePeople.mail(index, domain: "example.com")), photo: .unknown)
    }

    func rendition(_ bytes: Data) -> Rendition {
        Rendition(profile: RenditionProfile(side: 648), bytes: bytes, sha256: "", width: 0, height: 0, quality: 90)
    }

    @Test func writeReadDeleteAndImageNotFound() async throws {
        try await withGraph { _, graph in
            // No photo yet: 404 ImageNotFound is "none", not an error.
            #expect(try await graph.photoVersion(of: account(0)) == nil)
            #expect(try await graph.readPhoto(of: account(0)) == nil)

            let jpeg = try SamplePortrait.bitmap(seed: 1, width: 800, height: 1000).encoded(as: .jpeg(quality: 90, orientation: nil))
            _ = try await graph.writePhoto([rendition(jpeg)], for: account(0))
            let first = try #require(try await graph.photoVersion(of: account(0)))
            let served = try #require(try await graph.readPhoto(of: account(0)))
            #expect(served.bytes != jpeg, "Graph serves its own re-encoded copy")
            #expect(try Bitmap(decoding: served.bytes).width == 648)

            // The same bytes again: a new etag all the same.
            _ = try await graph.writePhoto([rendition(jpeg)], for: account(0))
            #expect(try await graph.photoVersion(of: account(0)) != first)

            try await graph.deletePhoto(of: account(0))
            #expect(try await graph.readPhoto(of: account(0)) == nil)
            // Deleting what is not there is not an error.
            try await graph.deletePhoto(of: account(0))
        }
    }

    @Test func unknownUserIsNotFound() async throws {
        try await withGraph { _, graph in
            let ghost = Account(id: "00000000-dead-4000-8000-000000000000", keys: MatchKeys(mail: "ghost@example.com"), photo: .unknown)
            await #expect {
                _ = try await graph.photoVersion(of: ghost)
            } throws: { error in
                guard let error = error as? SystemError else { return false }
                return error.kind == .notFound && error.message.contains("Request_ResourceNotFound") && error.message.contains("ghost@example.com")
            }
        }
    }

    @Test func notAnImageIsRejected() async throws {
        try await withGraph { _, graph in
            await #expect {
                _ = try await graph.writePhoto([rendition(Data("definitely not a jpeg".utf8))], for: account(1))
            } throws: { error in
                guard let error = error as? SystemError else { return false }
                return error.kind == .rejected && error.message.contains("400")
            }
        }
    }

    @Test func overFourMegabytesIsRefusedBeforeSending() async throws {
        try await withGraph { sandbox, graph in
            await #expect {
                _ = try await graph.writePhoto([rendition(Data(count: GraphSettings.maxPhotoBytes + 1))], for: account(1))
            } throws: { ($0 as? SystemError)?.kind == .rejected }
            #expect(await sandbox.graph.stats().uploads == 0)
        }
    }

    @Test func sandboxAnswers413ForAnOversizedBody() async throws {
        try await withGraph { sandbox, _ in
            let accessToken = try await accessToken(sandbox)
            let reply = try await HTTPService().send(HTTPRequestSpec(
                method: .PUT, url: "\(sandbox.baseURL)/v1.0/users/\(account(0).id)/photo/$value",
                headers: [("Authorization", "Bearer \(accessToken)"), ("Content-Type", "image/jpeg")],
                body: Data(count: 4 * 1024 * 1024 + 1)))
            #expect(reply.status == 413)
        }
    }

    @Test func sandboxBatchAnswersEachRequestOnItsOwn() async throws {
        try await withGraph { sandbox, graph in
            let jpeg = try SamplePortrait.bitmap(seed: 2, width: 300, height: 300).encoded(as: .jpeg(quality: 90, orientation: nil))
            _ = try await graph.writePhoto([rendition(jpeg)], for: account(0))
            let token = try await accessToken(sandbox)
            func batch(_ urls: [String]) async throws -> HTTPReply {
                let body: [String: Any] = ["requests": urls.enumerated().map { ["id": "\($0.offset)", "method": "GET", "url": $0.element] }]
                return try await HTTPService().send(HTTPRequestSpec(
                    method: .POST, url: "\(sandbox.baseURL)/v1.0/$batch",
                    headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                    body: try JSONSerialization.data(withJSONObject: body)))
            }
            let reply = try await batch(["/users/\(account(0).id)/photo", "/users/\(account(1).id)/photo", "/users/nobody/photo"])
            #expect(reply.status == 200)
            let responses = try #require((try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])?["responses"] as? [[String: Any]])
            #expect(responses.map { $0["status"] as? Int } == [200, 404, 404])
            #expect(((responses[0]["body"] as? [String: Any])?["@odata.mediaEtag"] as? String) != nil)
            #expect((((responses[1]["body"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? String) == "ImageNotFound")
            #expect(try await batch(Array(repeating: "/users/\(account(0).id)/photo", count: 21)).status == 400)
        }
    }

    func accessToken(_ sandbox: Sandbox) async throws -> String {
        let token = try await HTTPService().send(HTTPRequestSpec(
            method: .POST, url: "\(sandbox.baseURL)/\(sandbox.options.tenant)/oauth2/v2.0/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Data("grant_type=client_credentials&client_id=\(sandbox.options.clientId)&client_secret=sandbox-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default".utf8)))
        let object = try JSONSerialization.jsonObject(with: token.body) as? [String: Any]
        return try #require(object?["access_token"] as? String, "\(String(decoding: token.body, as: UTF8.self))")
    }

    @Test func theSandboxRefusesAScopeThatIsNotGraphs() async throws {
        try await withGraph { sandbox, _ in
            // What a client asking for `{graph_url}/.default` sends when graph_url is a proxy.
            let reply = try await HTTPService().send(HTTPRequestSpec(
                method: .POST, url: "\(sandbox.baseURL)/\(sandbox.options.tenant)/oauth2/v2.0/token",
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Data("grant_type=client_credentials&client_id=\(sandbox.options.clientId)&client_secret=sandbox-secret&scope=http%3A%2F%2F127.0.0.1%2F.default".utf8)))
            #expect(reply.status == 400)
            #expect(String(decoding: reply.body, as: UTF8.self).contains("AADSTS70011"))
        }
    }

    @Test func signInAsksForTheCloudsGraphWhateverTheGraphURL() async throws {
        // GraphSystem here talks to the sandbox's address, yet its sign-in works: the scope is
        // https://graph.microsoft.com/.default, the only one the sandbox (as Entra) accepts.
        try await withGraph { _, graph in
            try await graph.check()
        }
    }

    @Test func checkNamesAWrongSecret() async throws {
        try await withGraph(secret: "wrong") { _, graph in
            await #expect {
                try await graph.check()
            } throws: { error in
                guard let error = error as? SystemError else { return false }
                return error.kind == .unauthorized && error.message.contains("AADSTS7000215")
            }
        }
    }
}
