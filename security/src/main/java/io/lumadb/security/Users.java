package io.lumadb.security;

import java.util.regex.Pattern;

/** The rules for user names and passwords. */
public final class Users {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");

    private Users() {}

    /** A user name: a letter or digit, then up to 63 letters, digits, {@code _ . @ -}. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "a user name is a letter or digit followed by up to 63 letters, digits, '_', '.', '@' or '-': "
                            + name);
        }
        return name;
    }

    /** A password: 8 to 1024 characters. */
    public static String checkPassword(String password) {
        if (password.length() < 8 || password.length() > 1024) {
            throw new IllegalArgumentException("a password has 8 to 1024 characters");
        }
        return password;
    }
}
