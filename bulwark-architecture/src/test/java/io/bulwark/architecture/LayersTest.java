package io.bulwark.architecture;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.domain.JavaClasses;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The layers of DESIGN.md: dependencies point down only. */
class LayersTest {

    private static final JavaClasses BULWARK = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.bulwark");

    @Test
    void dependenciesPointDownOnly() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("cli").definedBy("io.bulwark.cli..")
                .layer("node").definedBy("io.bulwark.node..")
                .layer("federation").definedBy("io.bulwark.federation..")
                .layer("search").definedBy("io.bulwark.search..")
                .layer("audit").definedBy("io.bulwark.audit..")
                .layer("store").definedBy("io.bulwark.store..")
                .layer("record").definedBy("io.bulwark.record..")
                .layer("crypto").definedBy("io.bulwark.crypto..")
                .layer("label").definedBy("io.bulwark.label..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("node").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("federation").mayOnlyBeAccessedByLayers("node", "cli")
                .whereLayer("search").mayOnlyBeAccessedByLayers("node", "cli")
                .whereLayer("audit").mayOnlyBeAccessedByLayers("federation", "search", "node", "cli")
                .whereLayer("store").mayOnlyBeAccessedByLayers("audit", "federation", "search", "node", "cli")
                .whereLayer("record").mayOnlyBeAccessedByLayers("store", "audit", "federation", "search", "node", "cli")
                .whereLayer("crypto").mayOnlyBeAccessedByLayers("record", "store", "audit", "federation", "search", "node", "cli")
                .whereLayer("label").mayOnlyBeAccessedByLayers("crypto", "record", "store", "audit", "federation", "search", "node", "cli")
                .check(BULWARK);
    }

    @Test
    void labelIsPure() {
        noClasses().that().resideInAPackage("io.bulwark.label..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "java.net..", "java.nio.channels..", "java.sql..", "javax.crypto..", "java.security..")
                .because("the label layer decides; it does no I/O and no crypto (DESIGN.md)")
                .check(BULWARK);
    }

    @Test
    void internalPackagesStayInsideTheirModule() {
        for (String module : new String[] {"label", "crypto", "record", "store", "audit", "federation", "search", "node"}) {
            noClasses().that().resideOutsideOfPackage("io.bulwark." + module + "..")
                    .should().dependOnClassesThat().resideInAPackage("io.bulwark." + module + ".internal..")
                    .allowEmptyShould(true)
                    .check(BULWARK);
        }
    }
}
