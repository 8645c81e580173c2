extension Duration {
    /// The duration in seconds, for arithmetic and messages.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
