package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.rocksdb.OpenFileLimit;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenFileBudgetTest {

    private static final Config CONFIG = LumaDbServer.config(ConfigFactory.parseMap(Map.of()));

    @Test
    void connectionsAreLoweredToWhatTheOpenFileLimitHolds() {
        // 1,024 files: 512 for RocksDB, 256 kept in reserve, 256 for connections.
        Config fitted = OpenFileBudget.fit(CONFIG, new OpenFileLimit(1024, 1024));
        assertEquals(256, fitted.getInt(OpenFileBudget.MAX_CONNECTIONS));
        assertEquals(
                16, OpenFileBudget.fit(CONFIG, new OpenFileLimit(200, 200)).getInt(OpenFileBudget.MAX_CONNECTIONS));
    }

    @Test
    void aLimitThatHoldsEveryConnectionChangesNothing() {
        int configured = CONFIG.getInt(OpenFileBudget.MAX_CONNECTIONS);
        assertEquals(
                configured,
                OpenFileBudget.fit(CONFIG, new OpenFileLimit(1 << 20, 1 << 20)).getInt(OpenFileBudget.MAX_CONNECTIONS));
        assertEquals(configured, OpenFileBudget.fit(CONFIG, null).getInt(OpenFileBudget.MAX_CONNECTIONS));
    }
}
