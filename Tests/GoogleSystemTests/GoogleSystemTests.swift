import Foundation
@testable import GoogleSystem
import PortraitCore
import PortraitHTTP
import PortraitImaging
import Sandbox
import Testing

@Suite struct GoogleSystemTests {
    func withGoogle(_ configure: (inout SandboxOptions) -> Void = { _ in },
                    _ body: (Sandbox, GoogleSystem) async throws -> Void) async throws {
        var options = SandboxOptions()
        options.users = 5
        options.photoFraction = 0
        configure(&options)
        try await Sandbox.run(options) { sandbox in
            let key = try ServiceAccountKey(json: sandbox.google.serviceAccountKey(tokenURI: sandbox.baseURL + "/token"), file: "key.json")
            let settings = GoogleSettings(key: key, admin: options.googleAdmin, apiURL: sandbox.baseURL)
            try await body(sandbox, try GoogleSystem(name: "gws", settings: settings))
        }
    }

    @Test func theAssertionCarriesGooglesClaims() async throws {
        try await withGoogle { sandbox, _ in
            let key = try ServiceAccountKey(json: sandbox.google.serviceAccountKey(tokenURI: "https://oauth2.googleapis.com/token"), file: "key.json")
            let settings = GoogleSettings(key: key, admin: "admin@example.com")
            let tokens = try GoogleTokens(system: "gws", settings: settings, tokenURL: key.tokenURI, http: try HTTPService(environment: [:]))
            let now = Date(timeIntervalSince1970: 1_800_000_000.75)
            let jwt = try tokens.assertion(scope: GoogleSettings.readScope, now: now)
            let parts = jwt.split(separator: ".").map(String.init)
            #expect(parts.count == 3)
            let headerData = try #require(Base64URL.decode(parts[0]))
            let header = try #require(try JSONSerialization.jsonObject(with: headerData) as? [String: Any])
            #expect(header["alg"] as? String == "RS256" && header["typ"] as? String == "JWT")
            #expect(header["kid"] as? String == key.privateKeyId)
            let claimsText = String(decoding: try #require(Base64URL.decode(parts[1])), as: UTF8.self)
            let claims = try #require(try JSONSerialization.jsonObject(with: Data(claimsText.utf8)) as? [String: Any])
            #expect(claims["iss"] as? String == sandbox.options.googleServiceAccount)
            #expect(claims["sub"] as? String == "admin@example.com")
            #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/admin.directory.user.readonly")
            #expect(claims["aud"] as? String == "https://oauth2.googleapis.com/token")
            // Whole seconds, and an hour at most.
            #expect(claimsText.contains("\"iat\":1800000000") && claimsText.contains("\"exp\":1800003600"), "\(claimsText)")
        }
    }

    @Test func photoDataIsReadWithAnyPadding() {
        let bytes = Data([0xFB, 0xFF, 0xBF, 0x01])  // "+/+/AQ==" in standard base64
        for text in ["-_-_AQ==", "-_-_AQ**", "-_-_AQ..", "-_-_AQ"] {
            #expect(Base64URL.decodeAnyPadding(text) == bytes, "\(text)")
        }
    }

    @Test func theSandboxRefusesStandardBase64AsGoogleDoes() async throws {
        try await withGoogle { sandbox, _ in
            let http = try HTTPService(environment: [:])
            let token = try await accessToken(sandbox, http: http)
            let jpeg = try SamplePortrait.bitmap(seed: 3, width: 96, height: 96).encoded(as: .jpeg(quality: 80, orientation: nil))
            var standard = jpeg.base64EncodedString()
            var webSafe = Base64URL.encode(jpeg)
            // Make sure the standard text holds a character the web-safe alphabet does not.
            var padding = 0
            var padded = jpeg
            while !standard.contains("+") && !standard.contains("/") {
                padding += 1
                padded.append(0)
                standard = padded.base64EncodedString()
                webSafe = Base64URL.encode(padded)
            }
            let url = "\(sandbox.baseURL)/admin/directory/v1/users/\(SamplePeople.mail(0, domain: "example.com"))/photos/thumbnail"
            func put(_ text: String) async throws -> HTTPReply {
                try await http.send(HTTPRequestSpec(method: .PUT, url: url,
                                                    headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                                    body: try JSONSerialization.data(withJSONObject: ["photoData": text])))
            }
            let refused = try await put(standard)
            #expect(refused.status == 400)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("Invalid Input: photoData"))
            #expect(try await put(webSafe).status == 200)
        }
    }

    @Test func listingShowsEachPhotosEtagAndTheWriteAnswersTheNewOne() async throws {
        try await withGoogle({ $0.photoFraction = 1 }) { sandbox, system in
            var accounts: [Account] = []
            for try await page in system.listPeople() { accounts += page.accounts }
            let ada = try #require(accounts.first { $0.keys.mail == SamplePeople.mail(0, domain: "example.com") })
            let listed = try #require(ada.photo.version)
            let photo = try #require(try await system.readPhoto(of: ada))
            #expect(photo.version == listed)
            #expect(ada.keys.employeeId == SamplePeople.employeeId(0))

            let rendition = try ImagePipeline().render(photo, profiles: [RenditionProfile(side: 96)]).renditions
            let written = try #require(try await system.writePhoto(rendition, for: ada))
            #expect(written != listed)
            var again: [Account] = []
            for try await page in system.listPeople() { again += page.accounts }
            #expect(again.first { $0.id == ada.id }?.photo.version == written)
        }
    }

    private func accessToken(_ sandbox: Sandbox, http: HTTPService) async throws -> String {
        let key = try ServiceAccountKey(json: sandbox.google.serviceAccountKey(tokenURI: sandbox.baseURL + "/token"), file: "key.json")
        let tokens = try GoogleTokens(system: "gws", settings: GoogleSettings(key: key, admin: sandbox.options.googleAdmin),
                                      tokenURL: key.tokenURI, http: http)
        return try await tokens.fetch(scope: GoogleSettings.writeScope).token.reveal()
    }
}
