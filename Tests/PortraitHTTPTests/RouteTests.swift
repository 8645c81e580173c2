@testable import PortraitHTTP
import PortraitCore
import Testing

/// Where requests go: proxies from the environment, and what counts as this machine.
@Suite struct RouteTests {
    @Test func proxyAddressesAsAdminsWriteThem() throws {
        let plain = try #require(try Proxy(environment: ["HTTPS_PROXY": "http://proxy.school.example:3128"]))
        #expect(plain.host == "proxy.school.example" && plain.port == 3128 && plain.credentials == nil)
        let bare = try #require(try Proxy(environment: ["https_proxy": "10.0.0.1:8080"]))
        #expect(bare.host == "10.0.0.1" && bare.port == 8080)
        let withUser = try #require(try Proxy(environment: ["HTTPS_PROXY": "http://ann:p%40ss@proxy:80"]))
        #expect(withUser.credentials == "ann:p@ss")
        #expect(try Proxy(environment: [:]) == nil)
        #expect(throws: SystemError.self) { try Proxy(environment: ["HTTPS_PROXY": "socks5://proxy:1080"]) }
    }

    @Test func noProxyCoversHostsAndTheirSubdomains() {
        let list = NoProxy("localhost, .internal.example ,graph.microsoft.us:443,*.corp.example")
        #expect(list.covers(host: "localhost"))
        #expect(list.covers(host: "a.internal.example") && list.covers(host: "internal.example"))
        #expect(list.covers(host: "graph.microsoft.us"))
        #expect(list.covers(host: "login.corp.example"))
        #expect(!list.covers(host: "graph.microsoft.com"))
        #expect(!list.covers(host: "notinternal.example"))
        #expect(NoProxy("*").covers(host: "anything.example"))
        #expect(!NoProxy("").covers(host: "graph.microsoft.com"))
    }

    @Test func loopbackIsAnAddressOfThisMachineNotANameThatLooksLikeOne() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"] {
            #expect(Loopback.isLoopback(host: host), "\(host)")
        }
        for host in ["127.evil.example", "127.0.0.1.evil.example", "128.0.0.1", "127.0.0", "127.0.0.256", "localhost.evil.example", "0x7f.0.0.1", ""] {
            #expect(!Loopback.isLoopback(host: host), "\(host)")
        }
    }
}
