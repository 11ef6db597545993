/*
 * Starts AWS's DynamoDB Local on 127.0.0.1, on the port in the system property `loopback.port`
 * (0 or absent: an ephemeral port). The jar's own command line binds every interface and refuses
 * port 0, so this launcher builds the server the way the jar's ServerRunner does, then rebinds
 * its one Jetty connector to loopback and that port before starting.
 * Prints "LISTENING <port>" once it accepts connections; exits when its stdin closes, so the
 * server can never outlive the Node process that started it.
 *
 * Compiled and run by local/dynamodb-local.ts.
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server server = (Server) serverField.get(proxy);
    ServerConnector connector = (ServerConnector) server.getConnectors()[0];
    connector.setHost("127.0.0.1");
    connector.setPort(Integer.parseInt(System.getProperty("loopback.port", "0")));
    try {
      proxy.start();
    } catch (Exception e) {
      // Jetty may leave non-daemon threads behind on a failed start: exit, do not hang.
      System.err.println("START FAILED");
      e.printStackTrace(); // includes the cause, e.g. "java.net.BindException: Address already in use"
      System.err.flush();
      System.exit(2);
    }
    System.out.println("LISTENING " + connector.getLocalPort());
    System.out.flush();
    while (System.in.read() != -1) {
      // Drain until the parent closes our stdin (or dies).
    }
    try {
      proxy.stop();
    } finally {
      System.exit(0);
    }
  }
}
