package io.bulwark.cli;

import io.bulwark.label.CompiledLabel;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.Decision;
import io.bulwark.label.LabelFormat;
import io.bulwark.label.PolicySet;
import io.bulwark.label.Subject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code bulwark label ...}: validate, convert and decide on STANAG 4774 labels. */
@Command(name = "label", description = "Validate, convert and decide on STANAG 4774 confidentiality labels.",
        mixinStandardHelpOptions = true,
        subcommands = {LabelCommand.Check.class, LabelCommand.Convert.class, LabelCommand.Decide.class,
                LabelCommand.Release.class})
final class LabelCommand {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Validate a label against its policy and print its canonical (compact) marking.",
                    "Exit 0 if valid; 2 with the error (position and rule) if not."})
    static final class Check implements Callable<Integer> {
        @Mixin PolicyOptions policyOptions;
        @Mixin LabelInput input;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            PolicySet policies = policyOptions.load();
            spec.commandLine().getOut().println(policies.canonicalMarking(input.read(policies)));
            return ExitCode.OK;
        }
    }

    @Command(name = "convert", mixinStandardHelpOptions = true,
            description = "Convert a label between STANAG 4774 XML, JSON, the display marking and the compact marking.")
    static final class Convert implements Callable<Integer> {
        enum To { xml, json, marking, compact }

        @Mixin PolicyOptions policyOptions;
        @Mixin LabelInput input;
        @Spec CommandSpec spec;

        @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "Output format: ${COMPLETION-CANDIDATES}.")
        To to;

        @Option(names = "--lang", paramLabel = "LANG", defaultValue = "",
                description = "Language of the display marking (e.g. fr, en, de), as the policy defines it. Default: the policy's own.")
        String language;

        @Override
        public Integer call() {
            PolicySet policies = policyOptions.load();
            ConfidentialityLabel label = input.read(policies);
            LabelFormat format = switch (to) {
                case xml -> LabelFormat.XML;
                case json -> LabelFormat.JSON;
                case marking -> LabelFormat.MARKING;
                case compact -> LabelFormat.COMPACT;
            };
            String out = policies.encode(label, format, language);
            spec.commandLine().getOut().println(out.stripTrailing());
            return ExitCode.OK;
        }
    }

    @Command(name = "decide", mixinStandardHelpOptions = true,
            description = {"Decide whether a subject may read what carries the label, and say why.",
                    "Exit 0 for PERMIT, 3 for DENY, 2 for bad input."})
    static final class Decide implements Callable<Integer> {
        @Mixin PolicyOptions policyOptions;
        @Mixin LabelInput input;
        @Spec CommandSpec spec;

        @Option(names = "--nationality", required = true, paramLabel = "NATION", description = "ISO 3166-1 alpha-3, e.g. DEU.")
        String nationality;

        @Option(names = "--clearance", paramLabel = "LEVEL",
                description = "A clearance as written in markings (repeatable, one per policy): 'NATO SECRET', 'GEHEIM', 'USA SECRET'.")
        List<String> clearances = new ArrayList<>();

        @Option(names = "--coi", paramLabel = "VALUE", split = ",",
                description = "A community of interest or other restrictive value held (repeatable): ISR, ATOMAL.")
        List<String> cois = new ArrayList<>();

        @Override
        public Integer call() {
            PolicySet policies = policyOptions.load();
            ConfidentialityLabel label = input.read(policies);
            List<Subject.Clearance> parsed = clearances.stream().map(policies::parseClassification).toList();
            Decision d = policies.compile(label).decide(policies.compile(new Subject(nationality, parsed, Set.copyOf(cois))));
            spec.commandLine().getOut().println(d);
            return d.permitted() ? ExitCode.OK : ExitCode.DENIED_OR_NOT_FOUND;
        }
    }

    @Command(name = "release", mixinStandardHelpOptions = true,
            description = {"Print the nations whose nodes may hold what carries the label (groups expanded).",
                    "With --nation, exit 0 if that nation may hold it, 3 if not."})
    static final class Release implements Callable<Integer> {
        @Mixin PolicyOptions policyOptions;
        @Mixin LabelInput input;
        @Spec CommandSpec spec;

        @Option(names = "--nation", paramLabel = "NATION", description = "Ask about one nation only.")
        String nation;

        @Override
        public Integer call() {
            PolicySet policies = policyOptions.load();
            CompiledLabel label = policies.compile(input.read(policies));
            if (nation != null) {
                if (!nation.matches("[A-Z]{3}")) {
                    throw new UserError(ExitCode.BAD_INPUT, "--nation: '" + nation + "' is not an ISO 3166-1 alpha-3 code in capitals (e.g. FRA)");
                }
                boolean yes = label.releasableTo(nation);
                spec.commandLine().getOut().println(nation + (yes ? " may hold it" : " may not hold it"));
                return yes ? ExitCode.OK : ExitCode.DENIED_OR_NOT_FOUND;
            }
            spec.commandLine().getOut().println(String.join(" ", label.releasableNations()));
            return ExitCode.OK;
        }
    }
}
