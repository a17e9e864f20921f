package io.bulwark.label.internal;

import io.bulwark.label.Category;
import io.bulwark.label.CategoryType;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.InvalidLabelException;
import io.bulwark.label.PolicySet;
import io.bulwark.label.SecurityPolicy;
import org.w3c.dom.Attr;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * STANAG 4774 XML ({@code urn:nato:stanag:4774:confidentialitymetadatalabel:1:0}): an
 * {@code originatorConfidentialityLabel} holding one {@code ConfidentialityInformation}
 * (PolicyIdentifier, Classification, PrivacyMark, Category/GenericValue), an optional
 * {@code CreationDateTime}, and {@code AlternativeConfidentialityLabel}s; the review time is the
 * {@code ReviewDateTime} attribute. Strict: an unknown element or attribute is an error.
 */
public final class XmlLabelCodec {

    public static final String NS = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0";

    private XmlLabelCodec() {}

    public static ConfidentialityLabel decode(String text, String input) {
        Element root = SecureXml.parse(text, (pos, rule) -> new InvalidLabelException(input, pos, rule)).getDocumentElement();
        String name = root.getLocalName();
        if (!NS.equals(root.getNamespaceURI())
                || !("originatorConfidentialityLabel".equals(name) || "OriginatorConfidentialityLabel".equals(name))) {
            throw new InvalidLabelException(input, "<" + root.getTagName() + ">",
                    "the root element is originatorConfidentialityLabel in namespace " + NS);
        }
        String path = "/originatorConfidentialityLabel";
        checkAttributes(root, Set.of("ReviewDateTime"), path, input);
        Element info = null;
        Optional<Instant> created = Optional.empty();
        List<ConfidentialityLabel> alternatives = new ArrayList<>();
        for (Element e : SecureXml.children(root)) {
            String p = path + "/" + e.getLocalName();
            checkNamespace(e, p, input);
            // The order label-xml.md gives: ConfidentialityInformation, then CreationDateTime, then alternatives.
            boolean outOfOrder = switch (e.getLocalName()) {
                case "ConfidentialityInformation" -> info == null && (created.isPresent() || !alternatives.isEmpty());
                case "CreationDateTime" -> info == null || !alternatives.isEmpty();
                case "AlternativeConfidentialityLabel" -> info == null;
                default -> false;
            };
            if (outOfOrder) {
                throw new InvalidLabelException(input, p, "out of order: the root holds one ConfidentialityInformation, then at most one "
                        + "CreationDateTime, then any AlternativeConfidentialityLabels");
            }
            switch (e.getLocalName()) {
                case "ConfidentialityInformation" -> {
                    if (info != null) throw new InvalidLabelException(input, p, "only one ConfidentialityInformation");
                    info = e;
                }
                case "CreationDateTime" -> {
                    if (created.isPresent()) throw new InvalidLabelException(input, p, "only one CreationDateTime");
                    checkAttributes(e, Set.of(), p, input);
                    created = Optional.of(instant(text(e, p, input), p, input));
                }
                case "AlternativeConfidentialityLabel" -> {
                    checkAttributes(e, Set.of(), p, input);
                    List<Element> inner = SecureXml.children(e);
                    if (inner.size() != 1 || !"ConfidentialityInformation".equals(inner.getFirst().getLocalName())) {
                        throw new InvalidLabelException(input, p, "an alternative label holds exactly one ConfidentialityInformation");
                    }
                    checkNamespace(inner.getFirst(), p + "/ConfidentialityInformation", input);
                    alternatives.add(information(inner.getFirst(), p + "/ConfidentialityInformation", input,
                            Optional.empty(), Optional.empty(), List.of()));
                }
                default -> throw new InvalidLabelException(input, p, "unknown element; expected ConfidentialityInformation, "
                        + "CreationDateTime or AlternativeConfidentialityLabel");
            }
        }
        if (info == null) {
            throw new InvalidLabelException(input, path, "ConfidentialityInformation is required");
        }
        Optional<Instant> review = root.hasAttribute("ReviewDateTime")
                ? Optional.of(instant(root.getAttribute("ReviewDateTime"), path + "/@ReviewDateTime", input))
                : Optional.empty();
        return information(info, path + "/ConfidentialityInformation", input, created, review, alternatives);
    }

    private static ConfidentialityLabel information(Element info, String path, String input, Optional<Instant> created,
                                                    Optional<Instant> review, List<ConfidentialityLabel> alternatives) {
        checkAttributes(info, Set.of(), path, input);
        String policy = null;
        String classification = null;
        Optional<String> privacyMark = Optional.empty();
        List<Category> categories = new ArrayList<>();
        for (Element e : SecureXml.children(info)) {
            String p = path + "/" + e.getLocalName();
            checkNamespace(e, p, input);
            switch (e.getLocalName()) {
                case "PolicyIdentifier" -> {
                    if (policy != null) throw new InvalidLabelException(input, p, "only one PolicyIdentifier");
                    checkAttributes(e, Set.of("URI"), p, input);
                    policy = text(e, p, input);
                }
                case "Classification" -> {
                    if (classification != null) throw new InvalidLabelException(input, p, "only one Classification");
                    checkAttributes(e, Set.of(), p, input);
                    classification = text(e, p, input);
                }
                case "PrivacyMark" -> {
                    if (privacyMark.isPresent()) throw new InvalidLabelException(input, p, "only one PrivacyMark");
                    checkAttributes(e, Set.of(), p, input);
                    privacyMark = Optional.of(text(e, p, input));
                }
                case "Category" -> categories.add(category(e, p + "[" + (categories.size() + 1) + "]", input));
                default -> throw new InvalidLabelException(input, p, "unknown element; expected PolicyIdentifier, "
                        + "Classification, PrivacyMark or Category");
            }
        }
        if (policy == null) throw new InvalidLabelException(input, path, "PolicyIdentifier is required");
        if (classification == null) throw new InvalidLabelException(input, path, "Classification is required");
        return new ConfidentialityLabel(policy, classification, privacyMark, categories, created, review, alternatives);
    }

    private static Category category(Element e, String path, String input) {
        checkAttributes(e, Set.of("TagName", "Type", "URI"), path, input);
        String tagName = e.getAttribute("TagName");
        if (tagName.isBlank()) throw new InvalidLabelException(input, path + "/@TagName", "TagName is required");
        CategoryType type;
        try {
            type = CategoryType.valueOf(e.getAttribute("Type"));
        } catch (IllegalArgumentException x) {
            throw new InvalidLabelException(input, path + "/@Type", "Type is RESTRICTIVE, PERMISSIVE or INFORMATIVE, not '"
                    + e.getAttribute("Type") + "'");
        }
        List<String> values = new ArrayList<>();
        for (Element v : SecureXml.children(e)) {
            String p = path + "/" + v.getLocalName();
            checkNamespace(v, p, input);
            if (!"GenericValue".equals(v.getLocalName())) {
                throw new InvalidLabelException(input, p, "unknown element; a Category holds GenericValue elements");
            }
            checkAttributes(v, Set.of(), p, input);
            values.add(text(v, p, input));
        }
        if (SecureXml.hasText(e)) throw new InvalidLabelException(input, path, "text outside GenericValue");
        return new Category(type, tagName, values);
    }

    private static void checkNamespace(Element e, String path, String input) {
        if (!NS.equals(e.getNamespaceURI())) {
            throw new InvalidLabelException(input, path, "element is not in namespace " + NS);
        }
    }

    private static void checkAttributes(Element e, Set<String> allowed, String path, String input) {
        NamedNodeMap attributes = e.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            Attr a = (Attr) attributes.item(i);
            if ("http://www.w3.org/2000/xmlns/".equals(a.getNamespaceURI())) continue;
            if (!allowed.contains(a.getName())) {
                throw new InvalidLabelException(input, path + "/@" + a.getName(), "unknown attribute"
                        + (allowed.isEmpty() ? "" : "; allowed: " + new java.util.TreeSet<>(allowed)));
            }
        }
    }

    private static String text(Element e, String path, String input) {
        if (!SecureXml.children(e).isEmpty()) throw new InvalidLabelException(input, path, "expected text, found elements");
        String t = e.getTextContent().strip();
        if (t.isEmpty()) throw new InvalidLabelException(input, path, "must not be empty");
        return t;
    }

    private static Instant instant(String text, String path, String input) {
        try {
            return Instant.parse(text.strip());
        } catch (DateTimeParseException e) {
            throw new InvalidLabelException(input, path, "'" + text.strip() + "' is not an ISO 8601 UTC instant such as 2026-11-26T12:00:00Z");
        }
    }

    public static String encode(ConfidentialityLabel label, SecurityPolicy policy, PolicySet policies) {
        StringBuilder b = new StringBuilder(512);
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<originatorConfidentialityLabel xmlns=\"").append(NS).append('"');
        label.reviewTime().ifPresent(t -> b.append(" ReviewDateTime=\"").append(t).append('"'));
        b.append(">\n");
        information(label, policy, "  ", b);
        label.creationTime().ifPresent(t -> b.append("  <CreationDateTime>").append(t).append("</CreationDateTime>\n"));
        for (ConfidentialityLabel alt : label.alternatives()) {
            b.append("  <AlternativeConfidentialityLabel>\n");
            information(alt, policies.policy(alt.policy()).orElseThrow(), "    ", b);
            b.append("  </AlternativeConfidentialityLabel>\n");
        }
        return b.append("</originatorConfidentialityLabel>\n").toString();
    }

    private static void information(ConfidentialityLabel l, SecurityPolicy policy, String indent, StringBuilder b) {
        String in = indent + "  ";
        b.append(indent).append("<ConfidentialityInformation>\n");
        b.append(in).append("<PolicyIdentifier URI=\"urn:oid:").append(policy.id()).append("\">")
                .append(SecureXml.escape(l.policy())).append("</PolicyIdentifier>\n");
        b.append(in).append("<Classification>").append(SecureXml.escape(l.classification())).append("</Classification>\n");
        l.privacyMark().ifPresent(pm -> b.append(in).append("<PrivacyMark>").append(SecureXml.escape(pm)).append("</PrivacyMark>\n"));
        for (Category c : l.categories()) {
            String uri = policy.tagSet(c.tagName()).map(t -> " URI=\"urn:oid:" + t.id() + "\"").orElse("");
            b.append(in).append("<Category TagName=\"").append(SecureXml.escape(c.tagName())).append("\" Type=\"")
                    .append(c.type()).append('"').append(uri).append(">\n");
            for (String v : c.values()) {
                b.append(in).append("  <GenericValue>").append(SecureXml.escape(v)).append("</GenericValue>\n");
            }
            b.append(in).append("</Category>\n");
        }
        b.append(indent).append("</ConfidentialityInformation>\n");
    }
}
