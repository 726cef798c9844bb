package io.lumadb.cdc.topics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TopicsTest {

    private static ActorTestKit kit;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create();
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private static Topics topics(int buffer, Duration idle) {
        return Topics.create(kit.system(), new TopicSettings(buffer, 1024, Duration.ofSeconds(30), idle));
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Source<TopicEvent, NotUsed> subscribe(Topics topics, String topic) throws Exception {
        return topics.subscribe(topic).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static String text(TopicEvent event) {
        return new String(
                assertInstanceOf(TopicEvent.Message.class, event).message().json(), StandardCharsets.UTF_8);
    }

    @Test
    void everySubscriberGetsEveryMessagePublishedAfterItSubscribedInOrder() throws Exception {
        Topics topics = topics(100, Duration.ofMinutes(5));
        topics.publish("news", json("{\"n\":-1}")); // before anyone listens: nobody gets it
        List<TestSubscriber.Probe<TopicEvent>> probes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            probes.add(subscribe(topics, "news")
                    .runWith(TestSink.create(kit.system().classicSystem()), kit.system()));
        }
        TestSubscriber.Probe<TopicEvent> other =
                subscribe(topics, "other").runWith(TestSink.create(kit.system().classicSystem()), kit.system());
        for (int n = 0; n < 50; n++) {
            topics.publish("news", json("{ \"n\" : " + n + " }"));
        }
        for (TestSubscriber.Probe<TopicEvent> probe : probes) {
            probe.request(51);
            assertEquals(new TopicEvent.Subscribed("news"), probe.expectNext());
            for (int n = 0; n < 50; n++) {
                assertEquals("{\"n\":" + n + "}", text(probe.expectNext()));
            }
            probe.expectNoMessage(Duration.ofMillis(100));
        }
        other.request(2);
        assertEquals(new TopicEvent.Subscribed("other"), other.expectNext());
        other.expectNoMessage(Duration.ofMillis(100));
        assertEquals(4, topics.subscribers());
        probes.forEach(TestSubscriber.Probe::cancel);
        other.cancel();
        awaitTrue(() -> topics.subscribers() == 0);
    }

    @Test
    void aSlowSubscriberOverflowsAndIsClosedWhileOthersAndThePublisherGoOn() throws Exception {
        Topics topics = topics(5, Duration.ofMinutes(5));
        TestSubscriber.Probe<TopicEvent> slow =
                subscribe(topics, "fast").runWith(TestSink.create(kit.system().classicSystem()), kit.system());
        TestSubscriber.Probe<TopicEvent> fast =
                subscribe(topics, "fast").runWith(TestSink.create(kit.system().classicSystem()), kit.system());
        fast.request(1000);
        fast.expectNext(); // subscribed
        for (int n = 0; n < 20; n++) {
            topics.publish("fast", json(Integer.toString(n))); // never blocks, whoever is slow
            assertEquals(Integer.toString(n), text(fast.expectNext()));
        }
        slow.request(100);
        assertEquals(new TopicEvent.Subscribed("fast"), slow.expectNext());
        for (int n = 0; n < 5; n++) {
            TopicEvent e = slow.expectNext();
            System.err.println("SLOW " + e + " "
                    + (e instanceof TopicEvent.Message m
                            ? new String(m.message().json())
                            : ""));
            assertEquals(Integer.toString(n), text(e));
        }
        assertEquals(new TopicEvent.Overflow(5), slow.expectNext());
        slow.expectComplete();
        assertEquals(1, topics.overflows());
        fast.cancel();
        awaitTrue(() -> topics.subscribers() == 0 && topics.queued() == 0);
    }

    @Test
    void badNamesAndMessagesAreRefusedWithReasons() {
        Topics topics = topics(5, Duration.ofMinutes(5));
        for (String bad : List.of("", "-x", "a b", "a/b", "x".repeat(129), "é")) {
            InvalidTopicException e =
                    assertThrows(InvalidTopicException.class, () -> topics.publish(bad, json("1")), bad);
            assertTrue(e.getMessage().contains("invalid topic name"), e.getMessage());
        }
        assertThrows(InvalidTopicException.class, () -> topics.subscribe("a/b"));
        assertTrue(assertThrows(InvalidTopicException.class, () -> topics.publish("t", json("{\"a\":")))
                .getMessage()
                .contains("not JSON"));
        assertTrue(assertThrows(InvalidTopicException.class, () -> topics.publish("t", json("1 2")))
                .getMessage()
                .contains("not JSON"));
        assertTrue(assertThrows(InvalidTopicException.class, () -> topics.publish("t", json("")))
                .getMessage()
                .contains("empty"));
        assertTrue(assertThrows(InvalidTopicException.class, () -> topics.publish("t", new byte[1025]))
                .getMessage()
                .contains("max-message-bytes"));
        assertEquals(0, topics.published());
    }

    @Test
    void idleTopicsReleaseTheirActorAndWorkAgainOnNextUse() throws Exception {
        Topics topics = topics(5, Duration.ofMillis(200));
        topics.publish("idle", json("1"));
        assertEquals(1, topics.activeTopics());
        awaitTrue(() -> topics.activeTopics() == 0);
        var probe = subscribe(topics, "idle")
                .toMat(TestSink.create(kit.system().classicSystem()), Keep.right())
                .run(kit.system());
        probe.request(2);
        probe.expectNext();
        Thread.sleep(1500); // longer than idle-timeout: a topic with a subscriber stays
        assertEquals(1, topics.activeTopics());
        topics.publish("idle", json("2"));
        assertEquals("2", text(probe.expectNext()));
        probe.cancel();
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(20);
        }
    }
}
