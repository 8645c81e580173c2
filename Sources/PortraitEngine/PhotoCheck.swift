import Foundation
import PortraitCore
import PortraitImaging

/// `portrait check-photos`: every photo of a folder or a system measured against the photo
/// guidelines, nothing written anywhere.
public struct PhotoCheck: Sendable {
    /// One photo's verdict.
    public struct Verdict: Sendable {
        /// A file name (a folder) or a person (a system).
        public var subject: String
        /// Nil when the photo could not be read or measured; `reasons` says why.
        public var measures: PhotoMeasures?
        public var reasons: [String]
        public var ok: Bool { reasons.isEmpty }
    }

    public struct Report: Sendable {
        /// Sorted by subject.
        public var verdicts: [Verdict] = []
        /// People the system lists without a photo: nothing to check.
        public var withoutPhoto = 0
        /// Why the system stopped answering, if it did.
        public var unreachable: String?
        public var interrupted = false
        public var failed: Int { verdicts.count { !$0.ok } }
    }

    /// The image files `check(folder:)` looks at, by extension.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp", "tif", "tiff", "gif", "heic", "heif"]

    let imaging: Imaging
    let guidelines: Guidelines
    let cores: Int

    public init(pipeline: ImagePipeline, guidelines: Guidelines, cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        imaging = Imaging(pipeline: pipeline, cores: cores)
        self.guidelines = guidelines
        self.cores = cores
    }

    /// Every image file directly in `folder`.
    public func check(folder: URL, stop: StopSignal = StopSignal(), progress: @escaping @Sendable (RunProgress) -> Void = { _ in }) async throws -> Report {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { !$0.hasPrefix(".") && Self.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        } catch {
            throw SystemError(.misconfigured, "cannot read the folder \(folder.path): \(error.localizedDescription)")
        }
        progress(.listed(total: names.count))
        var report = Report()
        try await withThrowingTaskGroup(of: Verdict.self) { group in
            var next = names.makeIterator()
            func add() -> Bool {
                guard !stop.requested, let name = next.next() else { return false }
                group.addTask {
                    let url = folder.appendingPathComponent(name)
                    guard let bytes = try? Data(contentsOf: url) else {
                        return Verdict(subject: name, reasons: ["cannot read \(url.path)"])
                    }
                    return await verdict(Photo(bytes: bytes, version: nil, origin: name), subject: name)
                }
                return true
            }
            // Enough in flight to keep every core busy while files are read.
            for _ in 0..<(2 * cores) where !add() { break }
            while let verdict = try await group.next() {
                report.verdicts.append(verdict)
                progress(.pulled(person: verdict.subject, outcome: verdict.ok ? "ok" : verdict.reasons.joined(separator: "; "), failed: !verdict.ok))
                _ = add()
            }
        }
        report.interrupted = stop.requested
        report.verdicts.sort { $0.subject < $1.subject }
        return report
    }

    /// Everyone's photo in a system, as the system serves it.
    public func check(system: any PhotoSystem, stop: StopSignal = StopSignal(), progress: @escaping @Sendable (RunProgress) -> Void = { _ in }) async throws -> Report {
        try await system.check()
        var report = Report()
        var listed = 0
        let outage = Outage()
        try await forEachPerson(in: system.listPeople(), width: 4 * system.capabilities.concurrency, stop: stop, onPage: { _, count in
            listed += count
            progress(.listed(total: listed))
        }, work: { account -> Verdict? in
            let person = account.label
            if let reason = outage.current { return Verdict(subject: person, reasons: ["not checked: \(reason)"]) }
            do {
                guard let photo = try await imaging.photoSlots.withPermit({ try await system.readPhoto(of: account) }) else { return nil }
                return await verdict(photo, subject: person)
            } catch let error as SystemError where error.isSystemWide {
                return Verdict(subject: person, reasons: ["not checked: \(outage.record(error.message))"])
            } catch {
                return Verdict(subject: person, reasons: ["\(error)"])
            }
        }, collect: { verdict in
            guard let verdict else {
                report.withoutPhoto += 1
                return
            }
            report.verdicts.append(verdict)
            progress(.pulled(person: verdict.subject, outcome: verdict.ok ? "ok" : verdict.reasons.joined(separator: "; "), failed: !verdict.ok))
        })
        report.unreachable = outage.current
        report.interrupted = stop.requested
        report.verdicts.sort { $0.subject < $1.subject }
        return report
    }

    private func verdict(_ photo: Photo, subject: String) async -> Verdict {
        do {
            let measures = try await imaging.measures(of: photo)
            return Verdict(subject: subject, measures: measures, reasons: guidelines.reasons(for: measures))
        } catch {
            return Verdict(subject: subject, reasons: ["\(error)"])
        }
    }
}
