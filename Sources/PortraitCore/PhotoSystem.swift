import Foundation

/// What every system can do: list its people and read their photos.
///
/// A system hides its protocol (files, HTTP, LDAP) behind this; the engine only ever sees
/// accounts, photos and renditions. Optional abilities are separate protocols
/// (`PhotoWriting`, `PhotoVersionReading`) and facts about the system are in `capabilities`.
public protocol PhotoSystem: AnyObject, Sendable {
    /// The name the configuration gives the system, e.g. "hr".
    var name: String { get }
    /// What the system points at (a folder's path, a tenant, a server), so what Portrait wrote
    /// to one tenant is not taken for what it wrote to another under the same name.
    var location: String { get }
    var capabilities: Capabilities { get }

    /// Everyone in the system, a page at a time, with whatever problems listing found.
    func listPeople() -> AsyncThrowingStream<PeoplePage, any Error>

    /// The person's current photo, or nil when they have none.
    func readPhoto(of account: Account) async throws -> Photo?

    /// Reaches the system with its credentials; throws `SystemError` saying what is wrong.
    func check() async throws
}

/// A system that photos can be written to.
public protocol PhotoWriting: PhotoSystem {
    /// Stores the renditions (in the order of `capabilities.renditions`) as the person's photo and
    /// returns the photo version the write itself tells (a file's size and time); nil when it
    /// tells none, and the engine asks `PhotoVersionReading` once the write is recorded.
    func writePhoto(_ renditions: [Rendition], for account: Account) async throws -> String?

    func deletePhoto(of account: Account) async throws

    /// An account for someone the listing did not show, when writing creates it (a folder does);
    /// nil when the person must already exist.
    func newAccount(for keys: MatchKeys) -> Account?
}

/// A system whose listing does not show photo versions but can tell one person's cheaply.
public protocol PhotoVersionReading: PhotoSystem {
    func photoVersion(of account: Account) async throws -> String?
}

/// A system that can list only what changed since its last listing, given somewhere to keep what
/// that listing found (AD: the entries, and the directory's change counter when it was made).
/// The stream is the whole listing, as `listPeople` gives it.
public protocol IncrementalListing: PhotoSystem {
    func listPeople(memory: any ListingMemory) -> AsyncThrowingStream<PeoplePage, any Error>
}

/// What an `IncrementalListing` keeps between runs: opaque to all but the system, kept by
/// Portrait's store per system and location.
public protocol ListingMemory: Sendable {
    func recall() async throws -> Data?
    func remember(_ data: Data) async throws
}

/// A target that can tell, without writing, whether its credentials may write photos.
public protocol WriteAccessChecking: PhotoWriting {
    /// What stands in the way of writing (a missing right, and how to grant it); nil when nothing does.
    func writeAccessProblem() async throws -> String?
}

/// A system that can tell whether people may change their own photo there. A sync policy that
/// writes over such changes (repairs them, or reverts them until approved) starts a quiet war with
/// users unless the system is told to stop them: `check` says so once.
public protocol SelfServiceReporting: PhotoSystem {
    func selfService() async throws -> SelfService
}

/// Who may change photos in a system, as it says.
public enum SelfService: Sendable, Equatable {
    /// People may change their own photo (how the system says so).
    case open(String)
    /// Only administrators, or nobody there.
    case closed(String)
    /// It could not be read (and what would let it be).
    case unknown(String)
}

/// Facts about a system that the engine plans by.
public struct Capabilities: Sendable {
    /// What a target wants written, in the order `writePhoto` receives them. Empty for sources
    /// only (a folder mapped by a CSV: a delivery whose originals must never be written over).
    public var renditions: [RenditionProfile]
    /// How people from a source are found in this system, tried in order; two rules finding two
    /// different accounts is an error, never a guess.
    public var matching: [MatchRule]
    /// Whether `listPeople` already shows each photo's version (so no per-person request is needed).
    public var listsPhotoVersions: Bool
    /// Whether a version changes with any change to the person's entry, not only the photo (AD's
    /// `uSNChanged`): a changed version is then someone else's photo only if the image differs.
    public var versionsTrackEntry: Bool
    /// How many requests the system takes at once without complaint.
    public var concurrency: Int

    public init(renditions: [RenditionProfile], matching: [MatchRule], listsPhotoVersions: Bool,
                versionsTrackEntry: Bool = false, concurrency: Int) {
        self.renditions = renditions
        self.matching = matching
        self.listsPhotoVersions = listsPhotoVersions
        self.versionsTrackEntry = versionsTrackEntry
        self.concurrency = concurrency
    }
}

/// One page of a listing.
public struct PeoplePage: Sendable {
    public var accounts: [Account]
    public var problems: [ListingProblem]

    public init(accounts: [Account], problems: [ListingProblem] = []) {
        self.accounts = accounts
        self.problems = problems
    }
}

/// Something wrong with one entry of a listing: a CSV row naming a missing file, a person named
/// twice, an image nobody maps to.
public struct ListingProblem: Sendable, Hashable {
    public enum Severity: String, Sendable { case error, warning }

    /// The person, row or file it is about.
    public var subject: String
    public var message: String
    public var severity: Severity

    public init(subject: String, message: String, severity: Severity = .error) {
        self.subject = subject
        self.message = message
        self.severity = severity
    }
}
