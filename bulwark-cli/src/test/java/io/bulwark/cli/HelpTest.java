package io.bulwark.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every command's --help describes every option and parameter it takes. */
class HelpTest {

    @Test
    void everyOptionAndParameterOfEveryCommandIsDescribed() {
        List<String> undescribed = new ArrayList<>();
        int checked = walk(new CommandLine(new Bulwark()).getCommandSpec(), undescribed);
        assertThat(checked).as("options and parameters checked").isGreaterThan(150);
        assertThat(undescribed).isEmpty();
    }

    private static int walk(CommandSpec spec, List<String> undescribed) {
        List<ArgSpec> args = new ArrayList<>(spec.options());
        args.addAll(spec.positionalParameters());
        for (ArgSpec a : args) {
            boolean described = a.description().length > 0 && !String.join("", a.description()).isBlank();
            if (!described) undescribed.add(spec.qualifiedName() + " " + a.paramLabel() + (a.isOption() ? " " + ((CommandLine.Model.OptionSpec) a).longestName() : ""));
        }
        int checked = args.size();
        for (CommandLine sub : spec.subcommands().values()) checked += walk(sub.getCommandSpec(), undescribed);
        return checked;
    }
}
