package io.bulwark.bench;

import io.bulwark.label.Category;
import io.bulwark.label.CategoryType;
import io.bulwark.label.CompiledLabel;
import io.bulwark.label.CompiledSubject;
import io.bulwark.label.ConfidentialityLabel;
import io.bulwark.label.PolicySet;
import io.bulwark.label.Subject;
import org.apache.accumulo.access.Access;
import org.apache.accumulo.access.AccessEvaluator;
import org.apache.accumulo.access.AccessExpression;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Access decisions per second: Bulwark's compiled labels against Apache accumulo-access evaluating
 * the equivalent expressions (e.g. {@code NS&ISR&(DEU|FRA|GBR)}, with cumulative clearance tokens:
 * a NATO SECRET subject holds NU, NR, NC and NS), on the same realistic labels — NATO policy,
 * 3 to 30 releasable nations, 0 to 3 communities of interest — and subjects. Setup checks that
 * both answer every pair alike, so the comparison is of equal work.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AccessDecisionBenchmark {

    static final int LABELS = 1024;
    static final int SUBJECTS = 16;
    private static final String[] LEVELS = {"UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"};
    private static final String[] TOKENS = {"NU", "NR", "NC", "NS"};
    private static final List<String> NATIONS = List.of("ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN",
            "FRA", "DEU", "GRC", "HUN", "ISL", "ITA", "LVA", "LTU", "LUX", "MNE", "NLD", "MKD", "NOR", "POL", "PRT",
            "ROU", "SVK", "SVN", "ESP", "SWE", "TUR", "GBR", "USA", "AUS", "NZL", "JPN", "KOR", "CHE", "AUT", "IRL", "UKR");
    private static final List<String> COIS = List.of("ISR", "OPS", "CYBER", "INTEL", "LOG", "SOF");

    CompiledLabel[] labels;
    CompiledSubject[] subjects;
    String[] expressions;
    AccessExpression[] parsedExpressions;
    AccessEvaluator[] evaluators;

    @Setup
    public void setUp() {
        PolicySet policies = PolicySet.defaults();
        Access access = Access.builder().build();
        Random random = new Random(4774);
        labels = new CompiledLabel[LABELS];
        expressions = new String[LABELS];
        parsedExpressions = new AccessExpression[LABELS];
        for (int i = 0; i < LABELS; i++) {
            int level = 1 + random.nextInt(3);
            List<String> nations = pick(NATIONS, 3 + random.nextInt(28), random);
            List<String> cois = pick(COIS, random.nextInt(4), random);
            List<Category> categories = new ArrayList<>();
            categories.add(new Category(CategoryType.PERMISSIVE, "Releasable To", nations));
            if (!cois.isEmpty()) {
                categories.add(new Category(CategoryType.RESTRICTIVE, "Communities of Interest", cois));
            }
            labels[i] = policies.compile(ConfidentialityLabel.of("NATO", LEVELS[level], categories));
            StringBuilder e = new StringBuilder(TOKENS[level]);
            cois.forEach(c -> e.append('&').append(c));
            e.append("&(").append(String.join("|", nations)).append(')');
            expressions[i] = e.toString();
            parsedExpressions[i] = access.newExpression(expressions[i]);
        }
        subjects = new CompiledSubject[SUBJECTS];
        evaluators = new AccessEvaluator[SUBJECTS];
        for (int s = 0; s < SUBJECTS; s++) {
            String nation = NATIONS.get(random.nextInt(32)); // subjects are NATO nationals
            int level = random.nextInt(4);
            Set<String> cois = new LinkedHashSet<>(pick(COIS, random.nextInt(4), random));
            subjects[s] = policies.compile(new Subject(nation, List.of(new Subject.Clearance("NATO", LEVELS[level])), cois));
            Set<String> auths = new LinkedHashSet<>(cois);
            auths.add(nation);
            for (int l = 0; l <= level; l++) auths.add(TOKENS[l]);
            evaluators[s] = access.newEvaluator(auths);
        }
        int permits = 0;
        for (int i = 0; i < LABELS; i++) {
            boolean b = labels[i].permits(subjects[i % SUBJECTS]);
            if (b != evaluators[i % SUBJECTS].canAccess(expressions[i])) {
                throw new IllegalStateException("Bulwark and accumulo-access disagree on " + expressions[i]);
            }
            permits += b ? 1 : 0;
        }
        if (permits == 0 || permits == LABELS) {
            throw new IllegalStateException("the data set must mix permits and denials, has " + permits + " permits");
        }
    }

    private static List<String> pick(List<String> from, int n, Random random) {
        List<String> copy = new ArrayList<>(from);
        Collections.shuffle(copy, random);
        return List.copyOf(copy.subList(0, Math.min(n, copy.size())));
    }

    @Benchmark
    @OperationsPerInvocation(LABELS)
    public int bulwarkCompiled() {
        int permitted = 0;
        for (int i = 0; i < LABELS; i++) {
            if (labels[i].permits(subjects[i & (SUBJECTS - 1)])) permitted++;
        }
        return permitted;
    }

    @Benchmark
    @OperationsPerInvocation(LABELS)
    public int accumuloAccessString() {
        int permitted = 0;
        for (int i = 0; i < LABELS; i++) {
            if (evaluators[i & (SUBJECTS - 1)].canAccess(expressions[i])) permitted++;
        }
        return permitted;
    }

    @Benchmark
    @OperationsPerInvocation(LABELS)
    public int accumuloAccessExpression() {
        int permitted = 0;
        for (int i = 0; i < LABELS; i++) {
            if (evaluators[i & (SUBJECTS - 1)].canAccess(parsedExpressions[i])) permitted++;
        }
        return permitted;
    }
}
