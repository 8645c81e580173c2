import ArgumentParser
import Foundation
import PortraitCore
import PortraitEngine
import PortraitImaging

struct CheckPhotosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-photos",
        abstract: "Check every photo of a folder or a system against the photo guidelines; nothing is written.",
        discussion: "Without --config a folder is checked against the default guidelines (one face, face 20–80% of the width, 256 px on the short side, not blurred, not too dark); with it, against its [guidelines]. Exit 0 when every photo passes, 1 when some fail."
    )

    @Argument(help: "A folder of photos (every image file directly in it).")
    var folder: String?

    @Option(name: .long, help: "A system of the configuration to read every person's photo from, instead of a folder.")
    var from: String?

    @Option(name: .long, help: "The configuration file: its [guidelines], and its systems for --from. A folder is checked against the default guidelines unless this is given; --from reads portrait.toml unless this is given.")
    var config: String?

    @Flag(name: .long, help: "Print one JSON object on stdout when done; progress stays on stderr.")
    var json = false

    @Flag(name: [.short, .long], help: "Print a line per photo on stderr.")
    var verbose = false

    func validate() throws {
        guard (folder == nil) != (from == nil) else {
            throw ValidationError("give a folder or --from SYSTEM, one of them")
        }
    }

    func run() async throws {
        Terminal.startLogging(verbose: verbose)
        let report: PhotoCheck.Report
        let guidelines: Guidelines
        do {
            let loaded = try (config ?? (from != nil ? "portrait.toml" : nil)).map { try PortraitConfig.load(from: URL(fileURLWithPath: $0)) }
            guidelines = loaded?.guidelines ?? .standard
            let check = PhotoCheck(pipeline: ImagePipeline(maxInputBytes: loaded?.maxInputBytes ?? Photo.maxInputBytes), guidelines: guidelines)
            let stop = StopSignal()
            Interrupts.stopGracefully(stop)
            let bar = ProgressBar(verbose: verbose)
            if let from, let loaded {
                report = try await check.check(system: try loaded.system(named: from), stop: stop, progress: bar.update)
            } else {
                let url = URL(fileURLWithPath: folder ?? ".").standardizedFileURL
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
                    throw UsageError(description: "\(url.path) is not a folder; give the folder of photos to check (or --from SYSTEM)")
                }
                report = try await check.check(folder: url, stop: stop, progress: bar.update)
            }
            bar.end()
        } catch {
            throw fail("check-photos", error, json: json)
        }
        let status: ExitStatus = report.interrupted ? .interrupted
            : report.unreachable != nil ? .unreachable : report.failed > 0 ? .someFailed : .success
        if json {
            Terminal.json(CheckPhotosJSON(report, bySystem: from != nil, exitCode: status.rawValue))
        } else {
            Terminal.out(ReportText.photoCheck(report, guidelines: guidelines))
        }
        if status != .success { throw CommandExit(status: status) }
    }
}

/// The `--json` object of `portrait check-photos`: a stable contract, documented in README.md.
struct CheckPhotosJSON: Encodable {
    struct Item: Encodable {
        var file: String?
        var person: String?
        var ok: Bool
        var reasons: [String]
        var faces: Int?
        var faceShare: Double?
        var sharpness: Double?
        var brightness: Double?
        var width: Int?
        var height: Int?

        enum CodingKeys: String, CodingKey {
            case file, person, ok, reasons, faces, sharpness, brightness, width, height
            case faceShare = "face_share"
        }
    }

    var command = "check-photos"
    var photos: [Item]
    var passed: Int
    var failed: Int
    var withoutPhoto: Int
    var unreachable: String?
    var exitCode: Int32

    init(_ report: PhotoCheck.Report, bySystem: Bool, exitCode: Int32) {
        photos = report.verdicts.map { verdict in
            let measures = verdict.measures
            func rounded(_ value: Double?) -> Double? { value.map { ($0 * 1000).rounded() / 1000 } }
            return Item(file: bySystem ? nil : verdict.subject, person: bySystem ? verdict.subject : nil, ok: verdict.ok,
                        reasons: verdict.reasons, faces: measures?.faces.count, faceShare: rounded(measures?.faceShare),
                        sharpness: rounded(measures?.sharpness), brightness: rounded(measures?.brightness),
                        width: measures?.width, height: measures?.height)
        }
        failed = report.failed
        passed = report.verdicts.count - report.failed
        withoutPhoto = report.withoutPhoto
        unreachable = report.unreachable
        self.exitCode = exitCode
    }

    enum CodingKeys: String, CodingKey {
        case command, photos, passed, failed, unreachable
        case withoutPhoto = "without_photo"
        case exitCode = "exit_code"
    }
}
