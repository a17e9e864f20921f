package io.bulwark.label;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Assembles small Open XML SPIF 2.1 documents for tests. {@link #minimal()} is a valid policy;
 * a test changes one thing (adds a duplicate, a dangling reference, a cycle...) and renders it
 * with {@link #xml()}. Everything is mutable on purpose: it is a test fixture, not a model.
 */
final class Spif {

    static final String SPIF_NS = "http://www.xmlspif.org/spif";
    static final String BULWARK_NS = "urn:bulwark:spif:1";

    String prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    String root = "spif:SPIF";
    String namespace = SPIF_NS;
    String name = "TEST";
    String id = "1.2.3.4";
    final List<Cls> classifications = new ArrayList<>();
    final List<TagSetDef> tagSets = new ArrayList<>();
    /** Equivalent policies: id to name. */
    final Map<String, String> equivalentPolicies = new LinkedHashMap<>();
    /** Nation groups: name to members (nations or other groups). */
    final Map<String, List<String>> groups = new LinkedHashMap<>();
    /** Releasability tag sets: tag set name to default ("" for none). */
    final Map<String, String> releasability = new LinkedHashMap<>();
    final Map<String, String> compactPrefixes = new LinkedHashMap<>();
    /** Raw XML appended inside bw:bulwark. */
    final List<String> extraExtensions = new ArrayList<>();

    /**
     * A valid policy TEST (1.2.3.4): LOW &lt; MID &lt; HIGH; "Releasable To" (releasability, DEU
     * FRA GBR and the group ALLIES of the three, default ALLIES, compact REL TO); "Caveats"
     * (restrictive ALPHA BRAVO CHARLIE, compact CAV).
     */
    static Spif minimal() {
        Spif s = new Spif();
        s.classifications.add(new Cls("LOW", 1, 1).phrase("", "TEST LOW"));
        s.classifications.add(new Cls("MID", 2, 2).phrase("", "TEST MID"));
        s.classifications.add(new Cls("HIGH", 3, 3).phrase("", "TEST HIGH"));
        s.tagSets.add(new TagSetDef("Releasable To", "1.2.3.4.1", "enumerated-permissive")
                .qualifier("", "prefix", "Releasable to ").qualifier("", "separator", ", ")
                .value(new Val("DEU", 276).phrase("", "Germany"))
                .value(new Val("FRA", 250).phrase("", "France"))
                .value(new Val("GBR", 826).phrase("", "United Kingdom"))
                .value(new Val("ALLIES", 1000).phrase("", "Allies")));
        s.tagSets.add(new TagSetDef("Caveats", "1.2.3.4.2", "restrictive")
                .qualifier("", "prefix", "CAV ").qualifier("", "separator", " ")
                .value(new Val("ALPHA", 1)).value(new Val("BRAVO", 2)).value(new Val("CHARLIE", 3)));
        s.groups.put("ALLIES", new ArrayList<>(List.of("DEU", "FRA", "GBR")));
        s.releasability.put("Releasable To", "ALLIES");
        s.compactPrefixes.put("Releasable To", "REL TO");
        s.compactPrefixes.put("Caveats", "CAV");
        return s;
    }

    Cls classification(String name) {
        return classifications.stream().filter(c -> c.name.equals(name)).findFirst().orElseThrow();
    }

    TagSetDef tagSet(String name) {
        return tagSets.stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow();
    }

    String xml() {
        StringBuilder b = new StringBuilder(prolog);
        b.append('<').append(root).append(" xmlns:spif=\"").append(namespace).append("\" xmlns:bw=\"").append(BULWARK_NS)
                .append("\" schemaVersion=\"2.1\">\n");
        b.append("  <spif:securityPolicyId name=").append(attr(name)).append(" id=").append(attr(id)).append("/>\n");
        b.append("  <spif:securityClassifications>\n");
        classifications.forEach(c -> c.xml(b));
        b.append("  </spif:securityClassifications>\n");
        if (!tagSets.isEmpty()) {
            b.append("  <spif:securityCategoryTagSets>\n");
            tagSets.forEach(t -> t.xml(b));
            b.append("  </spif:securityCategoryTagSets>\n");
        }
        if (!equivalentPolicies.isEmpty()) {
            b.append("  <spif:equivalentPolicies>\n");
            equivalentPolicies.forEach((i, n) -> b.append("    <spif:equivalentPolicy name=").append(attr(n))
                    .append(" id=").append(attr(i)).append("/>\n"));
            b.append("  </spif:equivalentPolicies>\n");
        }
        b.append("  <spif:extensions>\n    <bw:bulwark>\n");
        groups.forEach((g, members) -> {
            b.append("      <bw:nationGroup name=").append(attr(g)).append('>');
            members.forEach(m -> b.append("<bw:member>").append(text(m)).append("</bw:member>"));
            b.append("</bw:nationGroup>\n");
        });
        releasability.forEach((t, d) -> b.append("      <bw:releasability tagSet=").append(attr(t))
                .append(d.isEmpty() ? "" : " default=" + attr(d)).append("/>\n"));
        compactPrefixes.forEach((t, p) -> b.append("      <bw:compactMarking tagSet=").append(attr(t))
                .append(" prefix=").append(attr(p)).append("/>\n"));
        extraExtensions.forEach(x -> b.append("      ").append(x).append('\n'));
        b.append("    </bw:bulwark>\n  </spif:extensions>\n");
        b.append("</").append(root).append(">\n");
        return b.toString();
    }

    byte[] bytes() {
        return xml().getBytes(StandardCharsets.UTF_8);
    }

    SecurityPolicy load() {
        return SecurityPolicy.fromSpif(bytes(), "test.xml");
    }

    @Override
    public String toString() {
        return xml();
    }

    static String attr(String s) {
        return '"' + text(s).replace("\"", "&quot;") + '"';
    }

    static String text(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** The raw XML of a category reference: a whole tag set, or one value of it by lacv. */
    static String ref(String element, String tagSetId, Long lacv) {
        return "<spif:" + element + " tagSetRef=\"" + tagSetId + "\"" + (lacv == null ? "" : " lacv=\"" + lacv + "\"") + "/>";
    }

    /** The raw XML of a requiredCategory with categoryGroups. {@code op} is onlyOne, oneOrMore or all. */
    static String required(String op, String... categoryGroups) {
        StringBuilder b = new StringBuilder("<spif:requiredCategory operation=\"" + op + "\">");
        for (String g : categoryGroups) b.append(g);
        return b.append("</spif:requiredCategory>").toString();
    }

    /** A securityClassification. */
    static final class Cls {
        String name;
        String lacv;
        String hierarchy;
        final Map<String, String> phrases = new LinkedHashMap<>();
        final List<String> children = new ArrayList<>();

        Cls(String name, int lacv, int hierarchy) {
            this.name = name;
            this.lacv = String.valueOf(lacv);
            this.hierarchy = String.valueOf(hierarchy);
        }

        Cls phrase(String lang, String phrase) {
            phrases.put(lang, phrase);
            return this;
        }

        Cls child(String rawXml) {
            children.add(rawXml);
            return this;
        }

        Cls equivalent(String policyId, int lacv) {
            return child("<spif:equivalentClassification policyRef=\"" + policyId + "\" lacv=\"" + lacv + "\" applied=\"both\"/>");
        }

        void xml(StringBuilder b) {
            b.append("    <spif:securityClassification name=").append(attr(name)).append(" lacv=").append(attr(lacv))
                    .append(" hierarchy=").append(attr(hierarchy)).append(">\n");
            phrases.forEach((lang, p) -> b.append("      <spif:markingData").append(lang.isEmpty() ? "" : " xml:lang=" + attr(lang))
                    .append(" phrase=").append(attr(p)).append("><spif:code>pageTopBottom</spif:code></spif:markingData>\n"));
            children.forEach(c -> b.append("      ").append(c).append('\n'));
            b.append("    </spif:securityClassification>\n");
        }
    }

    /** A securityCategoryTagSet with one securityCategoryTag. */
    static final class TagSetDef {
        String name;
        String id;
        /** restrictive, permissive, enumerated-permissive, enumerated-restrictive, tagType7, informative. */
        String type;
        boolean singleSelection;
        /** lang, qualifierCode, text. */
        final List<String[]> qualifiers = new ArrayList<>();
        final List<Val> values = new ArrayList<>();

        TagSetDef(String name, String id, String type) {
            this.name = name;
            this.id = id;
            this.type = type;
        }

        TagSetDef qualifier(String lang, String code, String text) {
            qualifiers.add(new String[] {lang, code, text});
            return this;
        }

        TagSetDef value(Val v) {
            values.add(v);
            return this;
        }

        TagSetDef single() {
            singleSelection = true;
            return this;
        }

        Val value(String name) {
            return values.stream().filter(v -> v.name.equals(name)).findFirst().orElseThrow();
        }

        void xml(StringBuilder b) {
            b.append("    <spif:securityCategoryTagSet name=").append(attr(name)).append(" id=").append(attr(id)).append(">\n");
            String typeAttrs = type.startsWith("enumerated-")
                    ? "tagType=\"enumerated\" enumType=\"" + type.substring("enumerated-".length()) + "\""
                    : "tagType=\"" + type + "\"";
            b.append("      <spif:securityCategoryTag name=").append(attr(name)).append(' ').append(typeAttrs)
                    .append(" singleSelection=\"").append(singleSelection).append("\">\n");
            if (!qualifiers.isEmpty()) {
                b.append("        <spif:markingQualifier markingCode=\"pageTopBottom\">\n");
                for (String[] q : qualifiers) {
                    b.append("          <spif:qualifier").append(q[0].isEmpty() ? "" : " xml:lang=" + attr(q[0]))
                            .append(" markingQualifier=").append(attr(q[2])).append(" qualifierCode=").append(attr(q[1])).append("/>\n");
                }
                b.append("        </spif:markingQualifier>\n");
            }
            values.forEach(v -> v.xml(b));
            b.append("      </spif:securityCategoryTag>\n    </spif:securityCategoryTagSet>\n");
        }
    }

    /** A tagCategory (a value of a tag set). */
    static final class Val {
        String name;
        String lacv;
        boolean obsolete;
        final Map<String, String> phrases = new LinkedHashMap<>();
        final List<String> excludedClasses = new ArrayList<>();
        final List<String> children = new ArrayList<>();

        Val(String name, long lacv) {
            this.name = name;
            this.lacv = String.valueOf(lacv);
        }

        Val phrase(String lang, String phrase) {
            phrases.put(lang, phrase);
            return this;
        }

        Val excludedClass(String cls) {
            excludedClasses.add(cls);
            return this;
        }

        Val child(String rawXml) {
            children.add(rawXml);
            return this;
        }

        Val obsolete() {
            obsolete = true;
            return this;
        }

        void xml(StringBuilder b) {
            b.append("        <spif:tagCategory name=").append(attr(name)).append(" lacv=").append(attr(lacv))
                    .append(obsolete ? " obsolete=\"true\"" : "").append(">\n");
            phrases.forEach((lang, p) -> b.append("          <spif:markingData").append(lang.isEmpty() ? "" : " xml:lang=" + attr(lang))
                    .append(" phrase=").append(attr(p)).append("><spif:code>pageTopBottom</spif:code></spif:markingData>\n"));
            excludedClasses.forEach(c -> b.append("          <spif:excludedClass>").append(text(c)).append("</spif:excludedClass>\n"));
            children.forEach(c -> b.append("          ").append(c).append('\n'));
            b.append("        </spif:tagCategory>\n");
        }
    }
}
