import Testing
@testable import SyncCore

@Suite("Removing personal details from questions")
struct ScrubberTests {
    @Test("personal details are replaced", arguments: [
        ("Call me on 09 421 234 567 please", "Call me on [phone] please"),
        ("ကျွန်တော့်ဖုန်း ၀၉၄၂၁၂၃၄၅၆၇ ပါ",
         "ကျွန်တော့်ဖုန်း [phone] ပါ"),
        ("my number +95 9 421 234 567", "my number [phone]"),
        ("+959421234567 is my viber", "[phone] is my viber"),
        ("Thai number 081-234-5678 from employer", "Thai number [phone] from employer"),
        ("boss phone +66 81 234 5678", "boss phone [phone]"),
        ("Malaysia agent 012-345 6789 asked money", "Malaysia agent [phone] asked money"),
        ("Korea 010-1234-5678 ကိုဆက်ပါ", "Korea [phone] ကိုဆက်ပါ"),
        ("phone (09) 7812 3456 7", "phone [phone]"),
        ("၀၉-၇၈၁-၂၃၄-၅၆၇ ကိုခေါ်ပါ",
         "[phone] ကိုခေါ်ပါ"),
        ("email me at mya.mya99@gmail.com today", "email me at [email] today"),
        ("NRC 12/MaYaKa(N)123456 lost", "NRC [nrc] lost"),
        ("မှတ်ပုံတင် ၁၂/မရက(နိုင်)၁၂၃၄၅၆ ပျောက်သွားတယ်",
         "မှတ်ပုံတင် [nrc] ပျောက်သွားတယ်"),
        ("my nrc is 9 / MaHaMa (N) 045678", "my nrc is [nrc]"),
        ("passport MB1234567 kept by boss", "passport [passport] kept by boss"),
        ("ပတ်စ်ပို့ MA 654321 ကို အလုပ်ရှင်ယူထားတယ်",
         "ပတ်စ်ပို့ [passport] ကို အလုပ်ရှင်ယူထားတယ်"),
        ("Ko Aung 09421234567, aung@example.org, MC7654321",
         "Ko Aung [phone], [email], [passport]"),
        ("ph 09421234567 2026", "ph [phone] 2026"),
        ("09421234567 1500000 kyat", "[phone] 1500000 kyat"),
        ("numbers: 09421234567 09798765432", "numbers: [phone] [phone]"),
        ("numbers: 09214234567 097987654010-1234-532678",
         "numbers: [phone] [phone]-1234-532678"),
        ("room 12 097987654010 please", "room 12 [phone] please"),
        ("၀၉၄၂၁၂၃၄၅၆၇ ၀၉၇၉၈၇၆၅၄၃၂", "[phone] [phone]"),
        ("0942123456789012", "[phone]"),
        ("call 0094 9 421234567", "call [phone]"),
        ("passport mb1234567 lost", "passport [passport] lost"),
        ("nrc 12/ma ya ka (naing) 123456", "nrc [nrc]"),
        ("tel09421234567 please", "tel[phone] please"),
        ("09421234567 2nd call", "[phone] 2nd call"),
        ("1-09421234567", "1-[phone]"),
        ("(1)09421234567", "(1)[phone]"),
        ("nuers: 09421 341 34567 09798567 09798765432", "nuers: [phone] [phone]"),
        ("09421234567 (912 345 678)", "[phone] ([phone])"),
        ("0 42194221942142149 4L234567 534", "[phone][passport] 534"),
        ("passport MB-1234567 with the agent", "passport [passport] with the agent"),
        ("my passport number is MB1234567", "my passport number is [passport]"),
        ("passport MD112239\u{330} lost", "passport [passport]\u{330} lost"),
        ("my passport mb 1234567 please", "my passport [passport] please"),
        ("passport no. mb-၁၂၃၄၅၆၇", "passport no. [passport]"),
        ("nrc 12/MYK N 123456 lost", "nrc [nrc] lost"),
    ])
    func replaced(input: String, expected: String) {
        #expect(Scrubber.scrub(input).text == expected)
        #expect(Scrubber.scrub(input).redactions >= 1)
    }

    @Test("numbers that are not personal survive", arguments: [
        "Contract starts 2026-12-03 and ends 03-12-2028",
        "Is licence MOL/OEA-123/2024 still valid?",
        "They asked 1500000 kyat, is that legal?",
        "Is 1500000 kyat fee legal",
        "the fee is 1500000 kyat",
        "go to 12345678 or not",
        "ပွဲခ ၁၅၀၀၀၀၀ ကျပ် တောင်းတယ်",
        "Salary 12000 baht per month in 2025",
        "Hotline 1506 in Thailand",
        "Flight on 3.1.2027 from Yangon",
        "Room 204, building 5, 45 workers",
        "ဇန်နဝါရီ ၁၅ ရက် ၂၀၂၆ မှာ စထွက်မယ်",
    ])
    func survives(input: String) {
        #expect(Scrubber.scrub(input).text == input)
        #expect(Scrubber.scrub(input).redactions == 0)
    }

    @Test("scrubbing what was scrubbed changes nothing", arguments: [
        "nuers: 09421 341 34567 09798567 09798765432",
        "09421234567 (912 345 678)",
        "numbers: 09214234567 097987654010-1234-532678",
        "1 22 333 09421234567 4444 0 55555 0942",
        "call\u{7}\u{7}\t\0\u{7}\n0 42194221942142149 4L234567 534 4 567",
        "A1234567 09421 2345678 9",
    ])
    func idempotent(input: String) {
        let once = Scrubber.scrub(input).text
        #expect(Scrubber.scrub(once).text == once)
    }

    @Test("a long run of short digit groups is scrubbed quickly and keeps its groups")
    func longRun() {
        let input = String(repeating: "12 ", count: 20_000)
        #expect(Scrubber.scrub(input).text == input)
    }

    @Test("several details in one question are all counted")
    func counts() {
        let result = Scrubber.scrub(
            "I am 12/OuKaMa(N)112233, passport MD1122334, call 09 250 111 222 or +66 91 111 2222")
        #expect(result.text == "I am [nrc], passport [passport], call [phone] or [phone]")
        #expect(result.redactions == 4)
    }
}
