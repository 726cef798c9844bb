package io.lumadb.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Pekko HTTP's answer to a request it cannot parse (a malformed request-target, an illegal
 * header, a head over the size limits, a malformed chunked body), as {@code
 * application/problem+json} instead of Pekko's plain text. Configured as {@code
 * pekko.http.server.parsing.error-handler}; Pekko creates it with the public no-argument
 * constructor. A client's mistake is logged at debug level only, without a stack trace.
 */
public final class ProblemParsingErrorHandler extends ParsingErrorHandler {

    public ProblemParsingErrorHandler() {}

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
        if (log.isDebugEnabled()) {
            log.debug("Illegal request, answering {}: {}", status.intValue(), error.formatPretty());
        }
        return EdgeProblems.parsingError(status.intValue(), error.summary());
    }
}
