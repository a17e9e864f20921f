package io.bulwark.label.internal;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The one way this library parses XML: no DTD (a DOCTYPE is an error), no external entities, no
 * XInclude, entity expansion limited, namespaces on. Errors become the caller's {@link io.bulwark.label.LabelError}.
 */
public final class SecureXml {

    private static final DocumentBuilderFactory FACTORY = factory();

    private SecureXml() {}

    private static DocumentBuilderFactory factory() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setIgnoringComments(true);
            return f;
        } catch (ParserConfigurationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Parses a document. {@code error} makes the caller's exception from (position, rule).
     */
    public static Document parse(byte[] xml, BiFunction<String, String, RuntimeException> error) {
        return parse(new InputSource(new ByteArrayInputStream(xml)), error);
    }

    public static Document parse(String xml, BiFunction<String, String, RuntimeException> error) {
        return parse(new InputSource(new StringReader(xml)), error);
    }

    private static Document parse(InputSource source, BiFunction<String, String, RuntimeException> error) {
        try {
            DocumentBuilder builder = FACTORY.newDocumentBuilder();
            builder.setErrorHandler(new ErrorHandler() {
                @Override public void warning(SAXParseException e) {}
                @Override public void error(SAXParseException e) throws SAXException { throw e; }
                @Override public void fatalError(SAXParseException e) throws SAXException { throw e; }
            });
            builder.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entities are not allowed");
            });
            return builder.parse(source);
        } catch (SAXParseException e) {
            throw error.apply("line " + e.getLineNumber() + ", column " + e.getColumnNumber(), describe(e));
        } catch (SAXException e) {
            throw error.apply("", "not well-formed XML: " + clean(e.getMessage()));
        } catch (IOException | ParserConfigurationException | RuntimeException e) {
            // The JDK parser may throw runtime exceptions on pathological input; never let them escape.
            throw error.apply("", "not readable as XML: " + clean(String.valueOf(e.getMessage())));
        }
    }

    private static String describe(SAXParseException e) {
        String m = clean(String.valueOf(e.getMessage()));
        if (m.contains("DOCTYPE")) {
            return "a DOCTYPE (DTD) is not allowed; external entities and DTDs are refused";
        }
        return "not well-formed XML: " + m;
    }

    private static String clean(String message) {
        return message == null ? "" : message.replaceAll("\\s+", " ").strip();
    }

    /** The element children of an element, in order. */
    public static List<Element> children(Element parent) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                out.add(e);
            }
        }
        return out;
    }

    /** Whether a node has non-whitespace text directly inside it. */
    public static boolean hasText(Element e) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if ((n.getNodeType() == Node.TEXT_NODE || n.getNodeType() == Node.CDATA_SECTION_NODE)
                    && !n.getNodeValue().isBlank()) {
                return true;
            }
        }
        return false;
    }

    /** Escapes text for an XML element or attribute value. */
    public static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
