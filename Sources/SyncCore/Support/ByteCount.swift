/// Formats a byte count for people: "812 bytes", "14.2 KB", "3.1 MB".
public func formatBytes(_ count: Int) -> String {
    if count < 1000 { return "\(count) bytes" }
    let units = ["KB", "MB", "GB", "TB"]
    var value = Double(count) / 1000
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    let rounded = (value * 10).rounded() / 10
    return "\(rounded) \(units[unit])"
}
