import Foundation
import PortraitCore
import PortraitImaging
import PortraitStore

/// The one verdict on whether what an account shows is Portrait's last write there, as the
/// service keeps it — for push, sync and resumed runs alike. Bytes first: what was written, or
/// the service's copy once a run confirmed it. Then the image, compared with the rendition as
/// encoded (`Fingerprint`), which holds on flat and small copies and tells different photos
/// apart. No threshold moves with luck: the same bytes and record always give the same verdict.
enum OwnWrite {
    enum Verdict: Equatable {
        /// Portrait's write; the copy's SHA-256, to record so the next run compares bytes only.
        case ours(copySHA256: String)
        case other
    }

    /// The verdict from the bytes alone where they settle it, else nil: the image decides.
    static func byBytes(_ shown: Data, written: WrittenState) -> (verdict: Verdict?, sha256: String) {
        let sha = PhotoLibrary.sha256(shown)
        // A write of several renditions is recorded as their hashes joined; a system shows the first.
        let first = written.renditionSHA256.split(separator: "+").first.map(String.init)
        return (sha == first || sha == written.copySHA256 ? .ours(copySHA256: sha) : nil, sha)
    }

    /// The verdict from the image, when the bytes did not settle it.
    static func byImage(_ shown: [Fingerprint], written: WrittenState, sha256: String) -> Verdict {
        guard let text = written.fingerprint, let ours = Fingerprint(text: text), shown.contains(where: { $0.isCopy(of: ours) }) else {
            return .other
        }
        return .ours(copySHA256: sha256)
    }

    /// The whole verdict on a photo read from the account; a photo that cannot be decoded is
    /// not Portrait's (Portrait writes only photos it made).
    static func verdict(on shown: Photo, written: WrittenState, imaging: Imaging) async throws -> Verdict {
        let (verdict, sha) = byBytes(shown.bytes, written: written)
        if let verdict { return verdict }
        guard written.fingerprint.flatMap(Fingerprint.init(text:)) != nil else { return .other }
        do {
            return byImage(try await imaging.fingerprints(of: shown), written: written, sha256: sha)
        } catch is ImageError {
            return .other
        }
    }
}
