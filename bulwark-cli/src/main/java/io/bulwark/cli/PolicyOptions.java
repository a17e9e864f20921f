package io.bulwark.cli;

import io.bulwark.label.InvalidPolicyException;
import io.bulwark.label.PolicySet;
import io.bulwark.label.SecurityPolicy;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code --policy FILE} (repeatable): the policy set; without it, BULWARK_POLICY or the bundled policies. */
public final class PolicyOptions {

    @Option(names = "--policy", paramLabel = "FILE",
            description = "An Open XML SPIF 2.1 policy file (repeatable). Default: the files in the environment variable "
                    + "BULWARK_POLICY (separated by '${sys:path.separator}'), else the bundled NATO, DEU, FRA, GBR and USA policies.")
    List<Path> files = new ArrayList<>();

    PolicySet load() {
        List<Path> paths = new ArrayList<>(files);
        String env = System.getenv("BULWARK_POLICY");
        if (paths.isEmpty() && env != null && !env.isBlank()) {
            for (String p : env.split(java.io.File.pathSeparator)) {
                if (!p.isBlank()) paths.add(Path.of(p));
            }
        }
        if (paths.isEmpty()) {
            return PolicySet.defaults();
        }
        List<SecurityPolicy> policies = new ArrayList<>();
        for (Path p : paths) {
            policies.add(read(p));
        }
        return PolicySet.of(policies);
    }

    static SecurityPolicy read(Path p) {
        try {
            if (Files.size(p) > 16L * 1024 * 1024) {
                throw new InvalidPolicyException(p.toString(), "", "larger than the limit of 16 MiB");
            }
            return SecurityPolicy.fromSpif(Files.readAllBytes(p), p.toString());
        } catch (NoSuchFileException e) {
            throw new UserError(ExitCode.BAD_INPUT, p + ": no such policy file");
        } catch (IOException e) {
            throw new UserError(ExitCode.BAD_INPUT, p + ": cannot be read (" + e.getMessage() + ")");
        }
    }
}
