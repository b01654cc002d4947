/// The tables of published content, as the publisher creates them.
///
/// Centres do not compile this schema in: every snapshot carries the
/// statements that create it, and the replica reads its tables back from
/// `sqlite_schema`. Content tables are all tables whose names do not start
/// with `sqlite_`, `replica_` or `local_`; those prefixes are kept for the
/// replica's own bookkeeping and for indexes built at the centre.
public enum ContentSchema {
    /// The newest content schema version this program can apply.
    public static let version = 1

    public static let statements: [String] = [
        """
        CREATE TABLE topic (
            id TEXT PRIMARY KEY NOT NULL,
            position INTEGER NOT NULL
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE article (
            id TEXT PRIMARY KEY NOT NULL,
            topic_id TEXT NOT NULL,
            updated_on TEXT NOT NULL,
            sample INTEGER NOT NULL,
            source TEXT
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE contact (
            id TEXT PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL,
            country TEXT NOT NULL,
            phones TEXT NOT NULL,
            email TEXT,
            website TEXT,
            sample INTEGER NOT NULL,
            source TEXT
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE agency (
            id TEXT PRIMARY KEY NOT NULL,
            licence_number TEXT NOT NULL,
            status TEXT NOT NULL,
            status_since TEXT NOT NULL,
            destinations TEXT NOT NULL,
            phone TEXT,
            sample INTEGER NOT NULL,
            source TEXT
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE text (
            kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            lang TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (kind, record_id, field, lang)
        ) WITHOUT ROWID
        """,
        // Query batches the central office has received, so that centres
        // can delete their copies whichever way the batch travelled.
        """
        CREATE TABLE acknowledgement (
            centre_id TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (centre_id, batch_id)
        ) WITHOUT ROWID
        """,
    ]

    public static let tableNames = ["topic", "article", "contact", "agency", "text", "acknowledgement"]
}
