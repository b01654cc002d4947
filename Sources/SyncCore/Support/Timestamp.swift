import Foundation

/// Times in files and on the wire are ISO 8601 in UTC with whole seconds,
/// e.g. `2026-12-03T18:20:00Z`.
///
/// The fixed formats here are read and written with plain arithmetic on the
/// proleptic Gregorian calendar. Foundation's formatters would do, but they
/// bring in ICU's data, several megabytes resident in a service that is
/// meant to sit small on an old PC for months.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let time = UTCTime(date)
        return "\(pad(time.year, 4))-\(pad(time.month))-\(pad(time.day))"
            + "T\(pad(time.hour)):\(pad(time.minute)):\(pad(time.second))Z"
    }

    /// Reads exactly the form `format` writes; anything else is nil.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
              bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z"),
              let year = number(bytes[0..<4]), let month = number(bytes[5..<7]),
              let day = number(bytes[8..<10]), let hour = number(bytes[11..<13]),
              let minute = number(bytes[14..<16]), let second = number(bytes[17..<19])
        else { return nil }
        return UTCTime(year: year, month: month, day: day, hour: hour, minute: minute,
                       second: second)?.date
    }

    /// `2026-12-03 18:20 UTC`, for people.
    static func minutes(_ date: Date) -> String {
        let time = UTCTime(date)
        return "\(pad(time.year, 4))-\(pad(time.month))-\(pad(time.day)) "
            + "\(pad(time.hour)):\(pad(time.minute)) UTC"
    }

    /// An HTTP date in the one form servers must send (RFC 9110, section
    /// 5.6.7), `Sun, 06 Nov 1994 08:49:37 GMT`; the obsolete forms are nil.
    static func parseHTTPDate(_ text: String) -> Date? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].count == 4, fields[0].hasSuffix(","),
              fields[5] == "GMT", fields[1].count == 2, fields[3].count == 4,
              let day = number(fields[1].utf8), let year = number(fields[3].utf8),
              let month = monthNames.firstIndex(of: String(fields[2])).map({ $0 + 1 })
        else { return nil }
        let clock = Array(fields[4].utf8)
        guard clock.count == 8, clock[2] == UInt8(ascii: ":"), clock[5] == UInt8(ascii: ":"),
              let hour = number(clock[0..<2]), let minute = number(clock[3..<5]),
              let second = number(clock[6..<8])
        else { return nil }
        return UTCTime(year: year, month: month, day: day, hour: hour, minute: minute,
                       second: second)?.date
    }

    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// The value of a run of ASCII digits, nil for anything else.
    private static func number<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

/// A moment as a UTC calendar date and time of day, to the second.
struct UTCTime: Equatable {
    let year, month, day, hour, minute, second: Int

    /// Fails for a date that does not exist (the 30th of February) or a
    /// time out of range; a leap second is not representable in `Date`.
    init?(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second) = (hour, minute, second)
    }

    /// The whole second `date` falls in.
    init(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let (days, time) = Self.floorDivide(seconds, 86_400)
        (hour, minute, second) = (time / 3600, time % 3600 / 60, time % 60)
        (year, month, day) = Self.civil(fromDays: days)
    }

    var date: Date {
        let days = Self.days(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600
                                                        + minute * 60 + second))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Days from 1970-01-01, counting in 400-year eras of 146,097 days and
    /// in years that start on the 1st of March, so that a leap day is the
    /// last day of its year.
    private static func days(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let (era, yearOfEra) = floorDivide(marchYear, 400)
        let marchMonth = (month + 9) % 12
        let dayOfYear = (153 * marchMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `days(year:month:day:)`.
    private static func civil(fromDays count: Int) -> (year: Int, month: Int, day: Int) {
        let (era, dayOfEra) = floorDivide(count + 719_468, 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
        let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func floorDivide(_ value: Int, _ divisor: Int) -> (Int, Int) {
        let remainder = ((value % divisor) + divisor) % divisor
        return ((value - remainder) / divisor, remainder)
    }
}
