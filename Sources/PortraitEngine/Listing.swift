import PortraitCore
import PortraitStore

extension Store {
    /// Everyone in a system: only what changed since the last listing, when the system can list
    /// that way, with its memory kept here.
    func people(of system: any PhotoSystem) -> AsyncThrowingStream<PeoplePage, any Error> {
        guard let incremental = system as? any IncrementalListing else { return system.listPeople() }
        return incremental.listPeople(memory: listingMemory(system: system.name, location: system.location))
    }
}
