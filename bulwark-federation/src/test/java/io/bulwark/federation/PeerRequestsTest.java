package io.bulwark.federation;

import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** A peer's feed requests hold their places until their responses complete, either way, once each. */
class PeerRequestsTest {

    @Test
    void aPeerHasAtMostItsPlacesAndGetsEachBackWhenItsResponseCompletes() {
        PeerRequests requests = new PeerRequests();
        AtomicInteger completed = new AtomicInteger();
        Callback response = Callback.from(completed::incrementAndGet, x -> completed.incrementAndGet());
        List<PeerRequests.Held> held = new ArrayList<>();
        for (int i = 0; i < PeerRequests.PER_PEER; i++) held.add(requests.enter("fra", response).orElseThrow());
        assertThat(requests.enter("fra", response)).as("one more than a peer may have").isEmpty();
        assertThat(requests.enter("usa", response)).as("another peer's places are its own").isPresent();

        held.get(0).succeeded();
        held.get(0).succeeded(); // a second completion gives nothing back twice
        held.get(1).failed(new java.io.IOException("the peer went away"));
        assertThat(requests.inProgress("fra")).isEqualTo(PeerRequests.PER_PEER - 2);
        assertThat(completed.get()).as("the response's own callback is completed each time").isEqualTo(3);
        assertThat(requests.enter("fra", response)).isPresent();
        held.get(2).leave(); // a request that ended without a response
        held.get(2).succeeded(); // and a completion after that gives nothing back twice
        assertThat(requests.inProgress("fra")).isEqualTo(PeerRequests.PER_PEER - 2);
    }
}
