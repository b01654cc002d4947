/// The shape of each kind of record in the central office's content
/// directory, as docs/content-format.md describes it, and where each field
/// goes in the replica.
struct RecordKind: Sendable {
    enum FieldType: Sendable {
        case string
        case integer
        case boolean
        case date
        case id
        case country
        case enumeration([String])
        case strings
        case countries
        /// A localised text; `required` names languages that must be there.
        case localised(required: [String])
    }

    struct Field: Sendable {
        let name: String
        let type: FieldType
        let required: Bool
        /// The column in the record's table; nil for localised texts, which
        /// go into the `text` table.
        let column: String?
    }

    /// The record kind as stored in the `text` table, e.g. "article".
    let name: String
    let file: String
    let table: String
    let fields: [Field]

    static let bothLanguages = ["my", "en"]

    static let all: [RecordKind] = [topic, article, contact, agency]

    static let topic = RecordKind(
        name: "topic", file: "topics.json", table: "topic",
        fields: [
            Field(name: "id", type: .id, required: true, column: "id"),
            Field(name: "position", type: .integer, required: true, column: "position"),
            Field(name: "title", type: .localised(required: bothLanguages), required: true, column: nil),
        ])

    static let article = RecordKind(
        name: "article", file: "articles.json", table: "article",
        fields: [
            Field(name: "id", type: .id, required: true, column: "id"),
            Field(name: "topic", type: .id, required: true, column: "topic_id"),
            Field(name: "title", type: .localised(required: bothLanguages), required: true, column: nil),
            Field(name: "summary", type: .localised(required: bothLanguages), required: true, column: nil),
            Field(name: "body", type: .localised(required: bothLanguages), required: true, column: nil),
            Field(name: "updated", type: .date, required: true, column: "updated_on"),
            Field(name: "sample", type: .boolean, required: true, column: "sample"),
            Field(name: "source", type: .string, required: false, column: "source"),
        ])

    static let contact = RecordKind(
        name: "contact", file: "contacts.json", table: "contact",
        fields: [
            Field(name: "id", type: .id, required: true, column: "id"),
            Field(
                name: "kind",
                type: .enumeration([
                    "ministry", "labour-exchange-office", "embassy", "hotline",
                    "support-organisation",
                ]),
                required: true, column: "kind"),
            Field(name: "country", type: .country, required: true, column: "country"),
            Field(name: "name", type: .localised(required: bothLanguages), required: true, column: nil),
            Field(name: "address", type: .localised(required: []), required: false, column: nil),
            Field(name: "phones", type: .strings, required: true, column: "phones"),
            Field(name: "email", type: .string, required: false, column: "email"),
            Field(name: "website", type: .string, required: false, column: "website"),
            Field(name: "hours", type: .localised(required: []), required: false, column: nil),
            Field(name: "notes", type: .localised(required: []), required: false, column: nil),
            Field(name: "sample", type: .boolean, required: true, column: "sample"),
            Field(name: "source", type: .string, required: false, column: "source"),
        ])

    static let agency = RecordKind(
        name: "agency", file: "agencies.json", table: "agency",
        fields: [
            Field(name: "id", type: .id, required: true, column: "id"),
            Field(name: "name", type: .localised(required: ["en"]), required: true, column: nil),
            Field(name: "licence_number", type: .string, required: true, column: "licence_number"),
            Field(
                name: "status", type: .enumeration(["licensed", "suspended", "revoked"]),
                required: true, column: "status"),
            Field(name: "status_since", type: .date, required: true, column: "status_since"),
            Field(name: "destinations", type: .countries, required: true, column: "destinations"),
            Field(name: "address", type: .localised(required: []), required: false, column: nil),
            Field(name: "phone", type: .string, required: false, column: "phone"),
            Field(name: "sample", type: .boolean, required: true, column: "sample"),
            Field(name: "source", type: .string, required: false, column: "source"),
        ])
}
