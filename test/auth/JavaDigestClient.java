/*
 * The client half of a SASL DIGEST-MD5 exchange, run by the JDK's own SaslClient exactly as ZooKeeper's Java
 * client creates and drives it (SecurityUtils.createSaslClient, ZooKeeperSaslClient): mechanism DIGEST-MD5,
 * authorization id = the user name, protocol "zookeeper", server name "zk-sasl-md5", an empty first token,
 * and a token sent only when evaluateChallenge returns one.
 *
 * Bridge protocol with the Node test, one line each: we print `TOKEN <hex>` for every token the client would
 * send, read the server's token as a hex line on stdin, and finish with `DONE` or `FAIL <reason>`.
 *
 * Usage: java -cp DIR JavaDigestClient USER_HEX PASSWORD_HEX   (compiled by the test with javac; user and
 * password as hex of their UTF-8 bytes, so no locale can mangle them)
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.AuthorizeCallback;
import javax.security.sasl.RealmCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslClient;

public class JavaDigestClient {
    /** DIGEST-MD5 needs two round trips; anything longer is a broken exchange. */
    private static final int ROUND_TRIPS_MAX = 8;

    public static void main(String[] args) throws Exception {
        String user = new String(HexFormat.of().parseHex(args[0]), StandardCharsets.UTF_8);
        String password = new String(HexFormat.of().parseHex(args[1]), StandardCharsets.UTF_8);
        CallbackHandler handler = callbacks -> {
            for (Callback cb : callbacks) {
                if (cb instanceof NameCallback nc) {
                    nc.setName(user);
                } else if (cb instanceof PasswordCallback pc) {
                    pc.setPassword(password.toCharArray());
                } else if (cb instanceof RealmCallback rc) {
                    rc.setText(rc.getDefaultText());
                } else if (cb instanceof AuthorizeCallback ac) {
                    ac.setAuthorized(ac.getAuthenticationID().equals(ac.getAuthorizationID()));
                }
            }
        };
        SaslClient client = Sasl.createSaslClient(
            new String[] {"DIGEST-MD5"}, user, "zookeeper", "zk-sasl-md5", null, handler);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        HexFormat hex = HexFormat.of();
        byte[] first = client.hasInitialResponse() ? client.evaluateChallenge(new byte[0]) : new byte[0];
        emit("TOKEN " + hex.formatHex(first));
        try {
            for (int i = 0; i < ROUND_TRIPS_MAX && !client.isComplete(); i++) {
                String line = in.readLine();
                if (line == null) {
                    emit("FAIL server closed the exchange");
                    System.exit(1);
                }
                byte[] reply = client.evaluateChallenge(hex.parseHex(line.trim()));
                if (reply != null) {
                    emit("TOKEN " + hex.formatHex(reply));
                }
            }
        } catch (Exception e) {
            emit("FAIL " + e);
            System.exit(1);
        }
        emit(client.isComplete() ? "DONE" : "FAIL exchange did not complete");
    }

    private static void emit(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
