package io.keyward.keyserver.store;

import java.sql.Connection;
import java.sql.SQLException;

/** A unit of work run by {@link Database} on one borrowed connection. */
@FunctionalInterface
public interface SqlWork<T> {
  T run(Connection connection) throws SQLException;
}
