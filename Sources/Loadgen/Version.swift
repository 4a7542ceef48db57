/// The library and tool version, reported in result files.
public let version = "0.1.0"
