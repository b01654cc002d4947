import Foundation
import Testing
@testable import SyncCore

@Suite("Timestamps")
struct TimestampTests {
    private static var utcCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    @Test("every day from 1900 to 2200 agrees with Foundation's calendar")
    func agreesWithCalendar() throws {
        let calendar = Self.utcCalendar
        var day = try #require(calendar.date(from: DateComponents(year: 1900, month: 1, day: 1)))
        let end = try #require(calendar.date(from: DateComponents(year: 2200, month: 1, day: 1)))
        var checked = 0
        while day < end {
            // A different second of the day each time.
            let moment = day.addingTimeInterval(TimeInterval(checked * 7919 % 86_400))
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: moment)
            let time = UTCTime(moment)
            #expect([time.year, time.month, time.day, time.hour, time.minute, time.second]
                    == [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second])
            #expect(time.date == moment)
            #expect(Timestamp.parse(Timestamp.format(moment)) == moment)
            day = day.addingTimeInterval(86_400)
            checked += 1
        }
        #expect(checked == 109_573)
    }

    @Test("the written form is ISO 8601 in UTC with whole seconds")
    func format() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_796_322_000.9))
                == "2026-12-03T18:20:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(Timestamp.minutes(Date(timeIntervalSince1970: 1_796_322_059)) == "2026-12-03 18:20 UTC")
    }

    @Test("anything but the exact form is refused", arguments: [
        "", "2026-12-03", "2026-12-03T18:20:00", "2026-12-03T18:20:00+00:00",
        "2026-12-03 18:20:00Z", "2026-12-03T18:20:00.5Z", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-12-03T24:00:00Z",
        "2026-12-03T18:60:00Z", "2026-12-03T18:20:60Z", "２026-12-03T18:20:00Z",
        "+026-12-03T18:20:00Z", "2026-12-03t18:20:00z",
    ])
    func refused(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("a leap day exists in leap years only")
    func leapDays() {
        #expect(Timestamp.parse("2024-02-29T12:00:00Z") != nil)
        #expect(Timestamp.parse("2000-02-29T12:00:00Z") != nil)
        #expect(Timestamp.parse("1900-02-29T12:00:00Z") == nil)
        #expect(Timestamp.parse("2100-02-29T12:00:00Z") == nil)
    }

    @Test("HTTP dates in the fixed form are read; others are nil")
    func httpDates() {
        #expect(Timestamp.parseHTTPDate("Thu, 03 Dec 2026 18:20:00 GMT")
                == Timestamp.parse("2026-12-03T18:20:00Z"))
        #expect(Timestamp.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT")
                == Date(timeIntervalSince1970: 784_111_777))
        for text in [
            "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT", "",
        ] {
            #expect(Timestamp.parseHTTPDate(text) == nil, "\(text)")
        }
    }
}
