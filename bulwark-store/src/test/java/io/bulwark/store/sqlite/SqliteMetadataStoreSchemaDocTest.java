package io.bulwark.store.sqlite;

import io.bulwark.store.internal.Cursors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/formats/store-schema.md describes exactly the database the code creates, and its cursor vector holds. */
class SqliteMetadataStoreSchemaDocTest {

    private static final Path DOC = Path.of("..", "docs", "formats", "store-schema.md");
    private static final Pattern TABLE = Pattern.compile("^### `([a-z_]+)`$");
    private static final Pattern COLUMN = Pattern.compile("^\\| `([a-z0-9_]+)` \\|");

    @TempDir
    Path dir;

    @Test
    void theDocListsEveryTableAndColumnAndNoOther() throws IOException, SQLException {
        new SqliteMetadataStore(dir.resolve("m.db")).close();

        assertThat(documented()).isEqualTo(actual(dir.resolve("m.db")));
    }

    @Test
    void theCursorTestVectorMatchesTheCode() throws IOException {
        Matcher m = Pattern.compile("`created_at = (\\d+)`, `id = ([0-9a-f-]{36})`\\s+encodes as `([A-Za-z0-9_-]+)`")
                .matcher(Files.readString(DOC));
        assertThat(m.find()).as("the doc has a cursor test vector").isTrue();
        Cursors.Position p = new Cursors.Position(Long.parseLong(m.group(1)), m.group(2));
        assertThat(Cursors.encode(p)).isEqualTo(m.group(3));
        assertThat(Cursors.decode(m.group(3))).isEqualTo(p);
    }

    private static Map<String, List<String>> documented() throws IOException {
        Map<String, List<String>> tables = new TreeMap<>();
        String current = null;
        for (String line : Files.readAllLines(DOC)) {
            Matcher t = TABLE.matcher(line);
            if (t.matches()) {
                current = t.group(1);
                tables.put(current, new ArrayList<>());
                continue;
            }
            if (line.startsWith("## ")) {
                current = null;
            }
            Matcher c = COLUMN.matcher(line);
            if (current != null && c.find()) {
                tables.get(current).add(c.group(1));
            }
        }
        tables.replaceAll((k, v) -> List.copyOf(new TreeSet<>(v)));
        return tables;
    }

    private static Map<String, List<String>> actual(Path db) throws SQLException {
        Map<String, List<String>> tables = new TreeMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            DatabaseMetaData meta = c.getMetaData();
            try (ResultSet rs = meta.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    String name = rs.getString("TABLE_NAME");
                    if (!name.startsWith("sqlite_")) {
                        tables.put(name, new ArrayList<>());
                    }
                }
            }
            for (Map.Entry<String, List<String>> e : new LinkedHashMap<>(tables).entrySet()) {
                try (ResultSet rs = meta.getColumns(null, null, e.getKey(), "%")) {
                    while (rs.next()) {
                        e.getValue().add(rs.getString("COLUMN_NAME"));
                    }
                }
            }
        }
        tables.replaceAll((k, v) -> List.copyOf(new TreeSet<>(v)));
        return tables;
    }
}
