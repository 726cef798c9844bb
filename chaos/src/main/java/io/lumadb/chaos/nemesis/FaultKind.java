package io.lumadb.chaos.nemesis;

import java.util.Locale;

/** The faults the nemesis injects. Each scenario of {@code bin/chaos} draws from some of them. */
public enum FaultKind {
    /** {@code kill -9} of one node, restarted after a while with its data directory. */
    KILL,
    /** {@code SIGSTOP} of one node for longer than the failure detector allows, then {@code SIGCONT}. */
    PAUSE,
    /** Nodes stop hearing each other: majority and minority, a bridge node, or one-way loss. */
    PARTITION,
    /** Delay, jitter and loss on every node's network. */
    SLOW,
    /** The journal's PostgreSQL stopped as in a crash, then started again. */
    JOURNAL,
    /** One node's data disk filled to the last byte, then freed. */
    DISK;

    /** The lower-case name used on the command line and in reports. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FaultKind of(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
